// Shared setup of the end-to-end suite: the compiled binary, the test images,
// a private data dir, and a sweep that removes every VM a test made.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterRun } from "../_preload.ts";
import { assertSchema, schemaFor } from "../_schema.ts";

export const BIN = resolve(import.meta.dir, "../../dist/testcloud");
export const NETWORK = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
export const URI = "qemu:///system";

/** The tiny image of another architecture: `bash scripts/images/tiny/build.sh ARCH`. */
export type ForeignTiny = "tiny-aarch64" | "tiny-ppc64le" | "tiny-s390x";

/** Path of a test image built by scripts/images/<kind>/build.sh [ARCH]; a missing one fails the suite. */
export function testImage(kind: "tiny" | "debian" | ForeignTiny): string {
  const variable = `TESTCLOUD_${kind.toUpperCase().replace("-", "_")}_IMAGE`;
  const path = process.env[variable];
  if (!path || !existsSync(path)) {
    const [recipe, arch] = kind.split("-");
    throw new Error(`${variable} must name a built image: run "bash scripts/images/${recipe}/build.sh${arch ? ` ${arch}` : ""}"`);
  }
  return path;
}

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "bun run build" first`);

/** A private data dir for the run (every e2e file shares it); swept after the last file. */
export const dataDir = mkdtempSync(join(tmpdir(), "testcloud-e2e-"));
// QEMU runs as libvirt-qemu under qemu:///system and must traverse the data dir.
chmodSync(dataDir, 0o755);
const made = new Set<string>();

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * Runs dist/testcloud with the suite's data dir; parses stdout as JSON when it is. With
 * `killAfterMs`, a run that lasts longer is stopped and says so on stderr: a hang then fails
 * its test with what the run printed, instead of outliving the test's own timeout.
 */
export async function cli(args: string[], env: Record<string, string> = {}, options: { killAfterMs?: number } = {}): Promise<CliResult> {
  // --host or --connect in args choose the host themselves (the two together are refused).
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  const where = own.some((a) => a === "--host" || a === "--connect" || a.startsWith("--host=")) ? [] : ["--connect", URI];
  const proc = Bun.spawn([BIN, ...where, ...args], {
    env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir, ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  // SIGTERM first: testcloud then stops the tools it runs, whose pipes would keep ours open.
  let killed = false;
  const timers = options.killAfterMs === undefined ? [] : [
    setTimeout(() => ((killed = true), proc.kill("SIGTERM")), options.killAfterMs),
    setTimeout(() => proc.kill("SIGKILL"), options.killAfterMs + 5000),
  ];
  const [stdout, output, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  for (const timer of timers) clearTimeout(timer);
  const stderr = killed ? `${output}\n[stopped after ${options.killAfterMs} ms: testcloud ${args.join(" ")}]` : output;
  let json: any = null;
  try {
    json = JSON.parse(stdout);
  } catch {}
  // Only --json output is a contract (a remote command's output may parse as JSON too).
  if (json !== null && own.includes("--json")) checkContract(args, json);
  return { exitCode, stdout, stderr, json };
}

/**
 * Every --json document is checked against docs/schema/v1: the error document, or the
 * schema of the command that printed it. A verb without a schema fails here.
 */
function checkContract(args: string[], json: any): void {
  if (json && typeof json === "object" && !Array.isArray(json) && "error" in json) return assertSchema("error", json);
  const schema = schemaFor(args);
  if (!schema) throw new Error(`no JSON schema in docs/schema/v1 for: testcloud ${args.join(" ")}`);
  assertSchema(schema, json);
}

/** A stream's reader, as `proc.stderr.getReader()` gives it. */
type ByteReader = { read(): Promise<{ done: boolean; value?: Uint8Array }> };

/**
 * Reads `reader` until `marker` shows, and returns all it read. A stream that ends first is
 * an error with what it said: looping on an ended stream would starve even the test's timeout.
 */
export async function readUntil(reader: ByteReader, marker: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the process ended before "${marker}": ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** Reads a stream to its end (so its writer never blocks on a full pipe): `before` and all that followed. */
export async function readRest(reader: ByteReader, before = ""): Promise<string> {
  const decoder = new TextDecoder();
  let text = before;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

/** A unique instance name, remembered so the sweep removes it even when a test fails. */
export function uniqueName(prefix: string): string {
  const name = `tce2e-${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  made.add(name);
  return name;
}

/** Runs virsh directly, to check what testcloud left in libvirt. */
export async function virsh(...args: string[]) {
  const proc = Bun.spawn(["virsh", "-q", "-c", URI, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { stdout, exitCode };
}

/** True when neither a domain nor a directory of that name is left behind. */
export async function leftBehind(name: string): Promise<string[]> {
  const left: string[] = [];
  if ((await virsh("dominfo", name)).exitCode === 0) left.push(`domain ${name}`);
  if (existsSync(join(dataDir, "instances", name))) left.push(`directory ${name}`);
  return left;
}

// After the whole run (every file shares this module, its data dir and its names): a test
// that failed half-way leaves its VM to this sweep, which removes only names made here.
afterRun(async () => {
  for (const name of made) {
    if ((await virsh("dominfo", name)).exitCode === 0) {
      await virsh("destroy", name);
      // UEFI guests have NVRAM, TPM guests swtpm state: both are the test's own.
      const undefinedAll = await virsh("undefine", "--nvram", "--tpm", "--snapshots-metadata", name);
      if (undefinedAll.exitCode !== 0) await virsh("undefine", "--nvram", "--snapshots-metadata", name);
    }
  }
  await removePools(URI, dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Undefines the storage pools testcloud made for this data dir (their directory is in it). */
export async function removePools(uri: string, dir: string): Promise<void> {
  const names = await Bun.spawn(["virsh", "-q", "-c", uri, "pool-list", "--all", "--name"], { stdout: "pipe", stderr: "ignore" }).stdout;
  for (const pool of (await new Response(names).text()).split("\n").map((l) => l.trim()).filter((l) => l.startsWith("testcloud-"))) {
    const xml = await new Response(Bun.spawn(["virsh", "-q", "-c", uri, "pool-dumpxml", pool], { stdout: "pipe", stderr: "ignore" }).stdout).text();
    if (!xml.includes(`<path>${dir}/`)) continue;
    for (const verb of ["pool-destroy", "pool-undefine"]) await Bun.spawn(["virsh", "-q", "-c", uri, verb, pool], { stdout: "ignore", stderr: "ignore" }).exited;
  }
}
