/**
 * Shared test helpers: temp directories cleaned up after each test, a fake
 * Runner that records its calls, and tiny real disk images made with qemu-img.
 */
import { afterAll, afterEach, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ToolError, UsageError } from "../lib/errors.ts";
import { run, type RunOptions, type RunResult, type Runner } from "../lib/host/run.ts";

/**
 * Registers cleanup and returns a factory of fresh temp directories. With "each"
 * (the default) they are removed after every test, with "all" after the file.
 */
export function useTempDirs(scope: "each" | "all" = "each"): () => Promise<string> {
  const made: string[] = [];
  const cleanup = async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  };
  if (scope === "each") afterEach(cleanup);
  else afterAll(cleanup);
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "testcloud-test-"));
    made.push(dir);
    return dir;
  };
}

/**
 * A fresh directory under the temp dir, removed with everything in it when the scope that
 * made it ends, passed or failed: the file (at the top level), the describe, or the test
 * (bun runs an afterAll registered inside a test when that test ends).
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One call a fake Runner received. */
export interface RunnerCall {
  argv: string[];
  options: RunOptions;
}

/**
 * A Runner that answers from `respond` instead of spawning. Like the real one it
 * throws a ToolError on a non-zero exit unless `allowFailure` is set, so code
 * under test sees the same contract.
 */
export function fakeRunner(
  respond: (argv: string[], options: RunOptions) => Partial<Omit<RunResult, "argv">> = () => ({}),
): Runner & { calls: RunnerCall[] } {
  const calls: RunnerCall[] = [];
  const fake = async (argv: string[], options: RunOptions = {}): Promise<RunResult> => {
    calls.push({ argv, options });
    const answer = respond(argv, options);
    const result: RunResult = {
      argv,
      exitCode: answer.exitCode ?? 0,
      stdout: answer.stdout ?? "",
      stderr: answer.stderr ?? "",
      ...(answer.stopped ? { stopped: true } : {}),
    };
    if (result.exitCode !== 0 && !options.allowFailure) {
      throw new ToolError(argv, result.exitCode, result.stderr);
    }
    return result;
  };
  return Object.assign(fake, { calls });
}

/** Fails (never skips) when a host tool an integration test needs is missing. */
export function requireTool(tool: string, debianPackage: string): string {
  const path = Bun.which(tool) ?? Bun.which(tool, { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" });
  if (!path) throw new Error(`Missing test dependency: "${tool}": install the ${debianPackage} package`);
  return path;
}

/** Creates a tiny disk image with the real qemu-img; `backing` makes it an overlay. */
export async function createImage(
  path: string,
  options: { format?: string; size?: number; backing?: string } = {},
): Promise<string> {
  const format = options.format ?? "qcow2";
  const argv = ["qemu-img", "create", "-q", "-f", format];
  if (options.backing) argv.push("-F", "qcow2", "-b", options.backing);
  argv.push(path);
  if (options.size !== undefined || !options.backing) argv.push(String(options.size ?? 1 << 20));
  await run(argv);
  return path;
}

/** The raw `qemu-img info` JSON of an image, for assertions about what qemu-img itself sees. */
export async function qemuImgInfo(path: string): Promise<Record<string, unknown>> {
  const result = await run(["qemu-img", "info", "-U", "--output=json", path]);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Entries of a directory, or [] when it does not exist. */
export async function listDir(path: string): Promise<string[]> {
  return (await readdir(path).catch(() => [] as string[])).sort();
}

/** Path of a fixture file in tests/fixtures. */
export function fixture(name: string): string {
  return join(import.meta.dir, "fixtures", name);
}

/** The UsageError a rejected promise or throwing function produced, for precise assertions. */
export async function usageFailure(run: () => unknown): Promise<UsageError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError, nothing was thrown");
}
