import { describe, expect, test } from "bun:test";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnStreaming } from "../../lib/host/spawn-streaming.ts";
import { scratchDir } from "../_helpers.ts";

const stream = (text: string) => new Response(text).body!;

describe("spawnStreaming", () => {
  test("feeds stdin as a stream and hands stdout over as one", async () => {
    const tool = spawnStreaming(["tr", "a-z", "A-Z"], { stdin: stream("hello") });
    expect(await new Response(tool.stdout).text()).toBe("HELLO");
    expect(await tool.finished).toEqual({ exitCode: 0, stderr: "" });
  });

  test("reads and writes open files directly when given their descriptors", async () => {
    const dir = scratchDir("testcloud-test-");
    writeFileSync(join(dir, "in"), "from a file");
    const tool = spawnStreaming(["tr", "a-z", "A-Z"], { stdin: openSync(join(dir, "in"), "r"), stdout: openSync(join(dir, "out"), "w") });
    expect(await new Response(tool.stdout).text()).toBe("");
    expect((await tool.finished).exitCode).toBe(0);
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("FROM A FILE");
  });

  test("reports the exit status and stderr of a failing tool without throwing", async () => {
    const tool = spawnStreaming(["sh", "-c", "echo oops >&2; exit 3"]);
    await new Response(tool.stdout).text();
    expect(await tool.finished).toEqual({ exitCode: 3, stderr: "oops\n" });
  });

  test("a tool that stops reading early ends cleanly: the rest of stdin is dropped", async () => {
    const big = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(65536)) });
    const tool = spawnStreaming(["head", "-c", "10"], { stdin: big });
    expect((await new Response(tool.stdout).arrayBuffer()).byteLength).toBe(10);
    expect((await tool.finished).exitCode).toBe(0);
  });

  test("aborting the signal kills the tool", async () => {
    const controller = new AbortController();
    const tool = spawnStreaming(["sleep", "30"], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await new Response(tool.stdout).text();
    expect((await tool.finished).exitCode).not.toBe(0);
  });

  test("a missing tool is a missing-dependency error", () => {
    expect(() => spawnStreaming(["no-such-tool-xyz"])).toThrow(expect.objectContaining({ code: "E_MISSING_TOOL" }));
  });
});
