/**
 * The `image` commands: in-process as main() runs them (JSON documents on
 * stdout), and as the real CLI in a child process for exit codes, progress on stderr and
 * Ctrl-C in the middle of a download.
 */
import { describe, expect, spyOn, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import imageCommand from "../../commands/image/index.ts";
import { setGlobals } from "../../commands/_action.ts";
import { streams } from "../../lib/cli/output.ts";
import { StateError, UsageError } from "../../lib/errors.ts";
import type { CachedImage } from "../../lib/image/fetch-image.ts";
import type { ImageEntry } from "../../lib/image/list-images.ts";
import type { PruneResult } from "../../lib/image/prune-images.ts";
import type { RemovedImage } from "../../lib/image/remove-image.ts";
import { instancePaths, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import { listDir, useTempDirs } from "../_helpers.ts";
import { blobsDir, partials } from "./_cache-helpers.ts";
import { rawDisk, sha256, useImageServer } from "./_image-server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const server = useImageServer();
const tempDir = useTempDirs();
const DISK = rawDisk(512 << 10, 3);

/** Runs `image ARGS… --json` in-process and parses what it printed. */
async function image<T>(dataDir: string, args: string[]): Promise<T> {
  setGlobals({ json: true, verbose: false, uri: "test:///default", dataDir, imageDir: join(dataDir, "images"), signal: new AbortController().signal });
  const chunks: string[] = [];
  const write = spyOn(streams, "out").mockImplementation((text: string) => {
    chunks.push(text);
  });
  try {
    await imageCommand.run({ rawArgs: args });
  } finally {
    write.mockRestore();
  }
  return JSON.parse(chunks.join("")) as T;
}

async function useInstance(dataDir: string, name: string, digest: string): Promise<void> {
  await mkdir(instancePaths(dataDir, name).dir, { recursive: true });
  await writeRecord(dataDir, { name, image: { source: "x", digest, path: "y" } } as InstanceRecord);
}

describe("testcloud image (in-process)", () => {
  test("pull, list, remove and prune speak JSON", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    const pulled = await image<CachedImage>(dataDir, ["pull", server.url("/disk.raw"), "--sha256", sha256(DISK)]);
    expect(pulled).toMatchObject({ source: server.url("/disk.raw"), digest: sha256(DISK), format: "raw", cached: false });
    await useInstance(dataDir, "web", pulled.digest);
    const list = await image<ImageEntry[]>(dataDir, ["list"]);
    expect(list).toMatchObject([{ digest: pulled.digest, size: DISK.byteLength, sources: [server.url("/disk.raw")], instances: ["web"] }]);
    const pruned = await image<PruneResult>(dataDir, ["prune"]);
    expect(pruned).toEqual({ removed: [], orphans: [], partials: [], bytesFreed: 0, bytesKept: DISK.byteLength });
    const refused = await image(dataDir, ["remove", pulled.digest.slice(0, 12)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateError);
    const removed = await image<RemovedImage>(dataDir, ["remove", pulled.digest.slice(0, 12), "--force"]);
    expect(removed).toMatchObject({ digest: pulled.digest, instances: ["web"] });
    expect(await image<ImageEntry[]>(dataDir, ["list"])).toEqual([]);
  });

  test.each([
    [["prune", "--older-than", "soon"], "--older-than"],
    [["prune", "--max-size", "big"], "--max-size"],
    [["pull", "https://example.org/x.qcow2", "--sha256", "xyz"], "--sha256"],
  ])("%p is a usage error", async (args, flag) => {
    const error = await image(await tempDir(), args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(flag);
  });
});

interface Cli {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[], dataDir: string) {
  return Bun.spawn([BUN, "cli.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_CONNECT: "test:///default" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function cli(args: string[], dataDir: string): Promise<Cli> {
  const proc = spawnCli(args, dataDir);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { exitCode, stdout, stderr };
}

describe("testcloud image (the CLI)", () => {
  test("pull without a TTY prints one progress summary line on stderr and the result on stdout", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    const result = await cli(["image", "pull", server.url("/disk.raw")], dataDir);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toStartWith(`pulled sha256:${sha256(DISK)} (raw, 512.0 KiB, not verified)\n`);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^Downloaded disk\.raw: 512\.0 KiB in \d+\.\d s \(.+\/s\)$/)]);
  });

  test("pull --json prints only the JSON document", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    const result = await cli(["image", "pull", server.url("/disk.raw"), "--json"], dataDir);
    expect(JSON.parse(result.stdout)).toMatchObject({ digest: sha256(DISK) });
    expect(result.stderr).toBe("");
  });

  test("a failed pull exits with its documented code and one error line", async () => {
    const dataDir = await tempDir();
    const result = await cli(["image", "pull", server.url("/missing.raw")], dataDir);
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toBe(`error: Download failed: "${server.url("/missing.raw")}": HTTP 404\n`);
  });

  test("Ctrl-C during a download exits 130, leaves no image, and the next pull resumes", async () => {
    const dataDir = await tempDir();
    server.put("/slow.raw", DISK, { chunkDelayMs: 50 });
    const proc = spawnCli(["image", "pull", server.url("/slow.raw"), "--json"], dataDir);
    const deadline = performance.now() + 10_000;
    while (server.sent("/slow.raw") < 128 << 10 && performance.now() < deadline) await Bun.sleep(10);
    proc.kill("SIGINT");
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(exitCode).toBe(130);
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: "E_INTERRUPTED", exitCode: 130 } });
    expect(await listDir(blobsDir(dataDir))).toEqual([]);
    expect(JSON.parse((await cli(["image", "list", "--json"], dataDir)).stdout)).toEqual([]);
    expect(await partials(dataDir)).toHaveLength(1);
    server.put("/slow.raw", DISK);
    const again = await cli(["image", "pull", server.url("/slow.raw"), "--json"], dataDir);
    expect(JSON.parse(again.stdout)).toMatchObject({ digest: sha256(DISK), cached: false });
    const resumed = server.bodyGets("/slow.raw").at(-1)!;
    expect(resumed.status).toBe(206);
    expect(Number(/^bytes=(\d+)-$/.exec(resumed.range ?? "")?.[1])).toBeGreaterThan(0);
    expect(await partials(dataDir)).toEqual([]);
  }, 20_000);
});

// The config's `offline` and [baseUrls], read by the real CLI from $XDG_CONFIG_HOME/testcloud/config.toml.

const FEDORA_IMAGE = "/pub/fedora/linux/releases/41/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2";

/** A Fedora mirror on the test server: releases.json under /fp, the image (DISK) under /dl. */
function fedoraMirror(): string {
  const entry = { version: "41", arch: "x86_64", subvariant: "Cloud_Base", link: `https://download.fedoraproject.org${FEDORA_IMAGE}`, sha256: sha256(DISK) };
  server.put("/fp/releases.json", new TextEncoder().encode(JSON.stringify([entry])), { contentType: "application/json" });
  server.put(`/dl${FEDORA_IMAGE}`, DISK);
  return `[baseUrls]\n"fedoraproject.org" = "${server.url("/fp")}"\n"download.fedoraproject.org" = "${server.url("/dl")}"\n`;
}

/** Runs the CLI with `toml` as the user's config file; no TESTCLOUD_OFFLINE or TESTCLOUD_MIRRORS unless `env` sets them. */
async function cliWithConfig(args: string[], dataDir: string, toml: string, env: Record<string, string> = {}): Promise<Cli & { json: any }> {
  const home = await tempDir();
  await Bun.write(join(home, "testcloud", "config.toml"), toml);
  const base: Record<string, string | undefined> = { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_CONNECT: "test:///default", XDG_CONFIG_HOME: home };
  delete base.TESTCLOUD_OFFLINE;
  delete base.TESTCLOUD_MIRRORS;
  const proc = Bun.spawn([BUN, "cli.ts", ...args, "--json"], { cwd: ROOT, env: { ...base, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { exitCode, stdout, stderr, json: JSON.parse(stdout) };
}

describe("offline = true in the config (the CLI)", () => {
  test("image pull of an uncached URL exits 4 with E_NOT_CACHED at once and sends no request", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    const result = await cliWithConfig(["image", "pull", server.url("/disk.raw")], dataDir, "offline = true\n");
    expect(result.exitCode).toBe(4);
    expect(result.json.error).toMatchObject({ code: "E_NOT_CACHED", exitCode: 4 });
    expect(server.log).toEqual([]);
    expect(await listDir(blobsDir(dataDir))).toEqual([]);
  });

  test("--no-offline overrides it for one pull", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    const result = await cliWithConfig(["image", "pull", server.url("/disk.raw"), "--no-offline"], dataDir, "offline = true\n");
    expect(result.exitCode).toBe(0);
    expect(result.json).toMatchObject({ digest: sha256(DISK), cached: false });
    expect(server.bodyGets("/disk.raw")).toHaveLength(1);
  });

  test("TESTCLOUD_OFFLINE=1 over offline = false still uses a cached image, without a request", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    expect((await cliWithConfig(["image", "pull", server.url("/disk.raw")], dataDir, "offline = false\n")).exitCode).toBe(0);
    const requests = server.log.length;
    const again = await cliWithConfig(["image", "pull", server.url("/disk.raw")], dataDir, "offline = false\n", { TESTCLOUD_OFFLINE: "1" });
    expect(again.json).toMatchObject({ digest: sha256(DISK), cached: true });
    const other = await cliWithConfig(["image", "pull", server.url("/other.raw")], dataDir, "offline = false\n", { TESTCLOUD_OFFLINE: "1" });
    expect([other.exitCode, other.json.error.code]).toEqual([4, "E_NOT_CACHED"]);
    expect(server.log.length).toBe(requests);
  });

  test("image resolve of a shortcut exits 4 with E_NOT_CACHED without reading the index; --no-offline reads it", async () => {
    const mirror = fedoraMirror();
    const result = await cliWithConfig(["image", "resolve", "fedora:41", "--arch", "x86_64"], await tempDir(), `offline = true\n${mirror}`);
    expect(result.exitCode).toBe(4);
    expect(result.json.error).toMatchObject({ code: "E_NOT_CACHED", hint: "testcloud image resolve fedora:41 --arch x86_64 --no-offline" });
    expect(server.log).toEqual([]);
    const online = await cliWithConfig(["image", "resolve", "fedora:41", "--arch", "x86_64", "--no-offline"], await tempDir(), `offline = true\n${mirror}`);
    expect([online.exitCode, online.json.url]).toEqual([0, server.url(`/dl${FEDORA_IMAGE}`)]);
  });

  test("image resolve still tells an unknown shortcut or version apart offline", async () => {
    const dataDir = await tempDir();
    const unknown = await cliWithConfig(["image", "resolve", "nosuch:1"], dataDir, "offline = true\n");
    expect([unknown.exitCode, unknown.json.error.code]).toEqual([2, "E_UNKNOWN_IMAGE"]);
    const version = await cliWithConfig(["image", "resolve", "debian:nosuch"], dataDir, "offline = true\n");
    expect([version.exitCode, version.json.error.code]).toEqual([4, "E_UNKNOWN_VERSION"]);
  });
});

describe("[baseUrls] in the config (the CLI)", () => {
  test("image resolve fedora:41 reads the index from the configured host and points at the configured mirror", async () => {
    const result = await cliWithConfig(["image", "resolve", "fedora:41", "--arch", "x86_64"], await tempDir(), fedoraMirror());
    expect(result.exitCode).toBe(0);
    expect(result.json).toMatchObject({
      url: server.url(`/dl${FEDORA_IMAGE}`),
      checksum: { algorithm: "sha256", value: sha256(DISK) },
      checksumSource: server.url("/fp/releases.json"),
    });
    expect(server.log.map((r) => r.path)).toEqual(["/fp/releases.json"]);
  });

  test("image pull fedora:41 downloads from the mirror and verifies the published digest; offline it reuses that", async () => {
    const dataDir = await tempDir();
    const mirror = fedoraMirror();
    const pulled = await cliWithConfig(["image", "pull", "fedora:41", "--arch", "x86_64"], dataDir, mirror);
    expect(pulled.exitCode).toBe(0);
    expect(pulled.json).toMatchObject({ source: server.url(`/dl${FEDORA_IMAGE}`), digest: sha256(DISK), cached: false });
    expect(server.bodyGets(`/dl${FEDORA_IMAGE}`)).toHaveLength(1);
    const requests = server.log.length;
    const offline = await cliWithConfig(["image", "pull", "fedora:41", "--arch", "x86_64"], dataDir, `offline = true\n${mirror}`);
    expect(offline.json).toMatchObject({ digest: sha256(DISK), cached: true });
    expect(server.log.length).toBe(requests);
  });

  test("TESTCLOUD_MIRRORS goes on top of the config's [baseUrls], as for create", async () => {
    const mirror = fedoraMirror().replace(server.url("/fp"), server.url("/wrong"));
    const env = { TESTCLOUD_MIRRORS: JSON.stringify({ "fedoraproject.org": server.url("/fp") }) };
    const result = await cliWithConfig(["image", "resolve", "fedora:41", "--arch", "x86_64"], await tempDir(), mirror, env);
    expect([result.exitCode, result.json.checksumSource]).toEqual([0, server.url("/fp/releases.json")]);
    expect(server.log.map((r) => r.path)).toEqual(["/fp/releases.json"]);
  });
});
