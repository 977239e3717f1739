import { describe, expect, test } from "bun:test";
import { DependencyError, ToolError } from "../../lib/errors.ts";
import { run, which } from "../../lib/host/run.ts";

describe("run", () => {
  test("returns exit code 0 and empty output for `true`", async () => {
    expect(await run(["true"])).toEqual({ argv: ["true"], exitCode: 0, stdout: "", stderr: "" });
  });

  test("captures stdout and stderr separately", async () => {
    const result = await run(["sh", "-c", "echo out; echo err >&2"]);
    expect(result.stdout).toBe("out\n");
    expect(result.stderr).toBe("err\n");
  });

  test("turns a non-zero exit into a ToolError carrying argv, exit code and stderr", async () => {
    const argv = ["sh", "-c", "echo noise >&2; echo 'disk is on fire' >&2; exit 3"];
    const error = await run(argv).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    const tool = error as ToolError;
    expect(tool.argv).toEqual(argv);
    expect(tool.toolExitCode).toBe(3);
    expect(tool.stderr).toBe("noise\ndisk is on fire\n");
    expect(tool.message).toEndWith(": exit 3: disk is on fire");
  });

  test("returns the result of a failing tool when allowFailure is set", async () => {
    const result = await run(["sh", "-c", "echo partial; echo why >&2; exit 5"], { allowFailure: true });
    expect(result).toEqual({
      argv: ["sh", "-c", "echo partial; echo why >&2; exit 5"],
      exitCode: 5,
      stdout: "partial\n",
      stderr: "why\n",
    });
  });

  test("passes a string on stdin through to the tool", async () => {
    expect((await run(["cat"], { stdin: "hello\nworld\n" })).stdout).toBe("hello\nworld\n");
  });

  test("passes bytes on stdin through to the tool", async () => {
    const bytes = new Uint8Array([0x68, 0x69, 0x0a]);
    expect((await run(["cat"], { stdin: bytes })).stdout).toBe("hi\n");
  });

  test("gives the tool an empty stdin when none is passed", async () => {
    expect((await run(["cat"])).stdout).toBe("");
  });

  test("adds env variables to the inherited environment", async () => {
    const result = await run(["sh", "-c", 'printf "%s|%s" "$TC_A" "$PATH"'], { env: { TC_A: "a b" } });
    expect(result.stdout).toBe(`a b|${process.env.PATH}`);
  });

  test("drains large stdout and stderr together without deadlocking", async () => {
    // Both streams far exceed a 64 KiB pipe buffer.
    const script = "head -c 300000 /dev/zero >&2; head -c 300000 /dev/zero";
    const result = await run(["sh", "-c", script]);
    expect(result.stdout.length).toBe(300000);
    expect(result.stderr.length).toBe(300000);
  });

  test("kills a tool that outlives timeoutMs", async () => {
    const started = performance.now();
    const error = await run(["sleep", "10"], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("stops a tool once its stderr satisfies stopWhen, without an error", async () => {
    const started = performance.now();
    const result = await run(["sh", "-c", "echo starting >&2; sleep 0.1; echo READY now >&2; exec sleep 10"], {
      stopWhen: (stderr) => stderr.includes("READY"),
    });
    expect(result.stopped).toBe(true);
    expect(result.stderr).toContain("READY now");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("leaves a tool alone when stopWhen never matches", async () => {
    const result = await run(["sh", "-c", "echo not yet >&2; exit 3"], { stopWhen: (s) => s.includes("READY"), allowFailure: true });
    expect(result.stopped).toBeUndefined();
    expect(result.exitCode).toBe(3);
  });

  test("a missing tool is a DependencyError with code E_MISSING_TOOL", async () => {
    const error = await run(["testcloud-no-such-tool-4711", "--help"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).code).toBe("E_MISSING_TOOL");
    expect((error as DependencyError).exitCode).toBe(3);
    expect((error as DependencyError).message).toContain('"testcloud-no-such-tool-4711"');
  });

  test("an empty argv is rejected", async () => {
    await expect(run([])).rejects.toThrow("empty argv");
  });
});

describe("which", () => {
  test("resolves a tool to an absolute path", () => {
    expect(which("sh")).toMatch(/^\/.*\/sh$/);
  });

  test("names no package in the hint of an unknown tool", () => {
    let error: unknown;
    try {
      which("testcloud-no-such-tool-4712");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).hint).toBeUndefined();
  });
});
