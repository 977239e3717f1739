/**
 * The real CLI as a user's script sees it: `bun cli.ts …` in a child process,
 * stdout parsed as JSON, exit codes from docs/exit-codes.md.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { useTempDirs } from "../_helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const tempDir = useTempDirs();

interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with its own empty data dir and libvirt's daemon-less test driver. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const proc = Bun.spawn([BUN, "cli.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, TESTCLOUD_DATA_DIR: await tempDir(), TESTCLOUD_CONNECT: "test:///default", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr };
}

interface JsonError {
  error: { code: string; message: string; exitCode: number; hint: string | null; detail: string[] };
}

/** Checks the documented error document and that the exit code matches it. */
function expectJsonError(result: CliResult, exitCode: number, code: string): JsonError["error"] {
  const doc = JSON.parse(result.stdout) as JsonError;
  expect(Object.keys(doc)).toEqual(["error"]);
  // Plain values only: bun's toMatchObject writes asymmetric matchers into the received object.
  expect(doc.error).toMatchObject({ code, exitCode });
  expect(doc.error.message).toMatch(/\S/);
  expect(doc.error).toHaveProperty("hint");
  expect(Array.isArray(doc.error.detail)).toBe(true);
  expect(result.exitCode).toBe(exitCode);
  return doc.error;
}

describe("testcloud CLI", () => {
  test("an unknown command exits 2 with E_USAGE", async () => {
    const error = expectJsonError(await cli(["nosuch", "--json"]), 2, "E_USAGE");
    expect(error.message).toContain("nosuch");
  });

  test("remove with an invalid name exits 2 with E_INVALID_NAME", async () => {
    const error = expectJsonError(await cli(["remove", "bad name", "--json"]), 2, "E_INVALID_NAME");
    expect(error.message).toContain('"bad name"');
    expect(error.hint).not.toBeNull();
  });

  test("ssh to an instance that does not exist exits 4", async () => {
    expectJsonError(await cli(["ssh", "nosuch", "--json"]), 4, "E_INSTANCE_NOT_FOUND");
  });

  test("--json before the verb works like after it", async () => {
    expectJsonError(await cli(["--json", "ssh", "nosuch"]), 4, "E_INSTANCE_NOT_FOUND");
  });

  test("a missing required argument exits 2 with E_USAGE", async () => {
    expectJsonError(await cli(["remove", "--json"]), 2, "E_USAGE");
  });

  test("an extra positional word exits 2 instead of being ignored", async () => {
    const error = expectJsonError(await cli(["remove", "one", "two", "--json"]), 2, "E_USAGE");
    expect(error.message).toContain('"two"');
    expectJsonError(await cli(["list", "stray", "--json"]), 2, "E_USAGE");
  });

  test("words after -- are the command's own, not extra arguments", async () => {
    // ssh gets as far as looking the instance up: its remote command was accepted.
    expectJsonError(await cli(["ssh", "nosuch", "--json", "--", "ls", "-l", "/"]), 4, "E_INSTANCE_NOT_FOUND");
  });

  test("--connect without a value exits 2 with E_USAGE", async () => {
    expectJsonError(await cli(["--json", "list", "--connect"]), 2, "E_USAGE");
  });

  test("list with an empty data dir prints an empty JSON array", async () => {
    const result = await cli(["list", "--json"]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  test("list with an empty data dir prints nothing for humans", async () => {
    const result = await cli(["list"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("");
  });

  test("--version prints the package version", async () => {
    const result = await cli(["--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${pkg.version}\n`);
  });

  test("--version --json prints it as JSON", async () => {
    const result = await cli(["--version", "--json"]);
    expect(JSON.parse(result.stdout)).toEqual({ version: pkg.version });
  });

  test("without --json an error goes to stderr and stdout stays empty", async () => {
    const result = await cli(["remove", "bad name"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toStartWith('error: Invalid instance name: "bad name"\n');
    expect(result.stderr).toContain("hint: ");
  });

  test("--help on a command prints its usage on stdout, without a terminal's colours into a pipe", async () => {
    // What would turn citty's colours off whatever we do is unset.
    const result = await cli(["remove", "--help"], { CI: "", TEST: "", NO_COLOR: "", TERM: "xterm-256color" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("remove");
    expect(result.stdout).toContain("--force");
    expect(result.stdout).not.toContain("\x1b[");
  });
});
