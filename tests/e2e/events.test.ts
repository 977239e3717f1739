// --events: progress as JSON lines on stdout, for tools that show live progress; every line
// matches docs/schema/v1/event.schema.json and the last is the result (or the error).
import { afterAll, describe, expect, test } from "bun:test";
import { assertSchema } from "../_schema.ts";
import { cli, NETWORK, testImage, uniqueName } from "./_env.ts";

function events(stdout: string): any[] {
  const lines = stdout.trim().split("\n").map((line) => JSON.parse(line));
  for (const line of lines) assertSchema("event", line);
  return lines;
}

const finished = (list: any[]) => list.filter((e) => e.event === "phase" && e.status === "finished").map((e) => e.phase);

describe("--events", () => {
  const name = uniqueName("events");
  afterAll(async () => {
    await cli(["remove", "--force", name]);
  });

  test("create: each phase started and finished with its time, the ready guest, then the result", async () => {
    const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--events"]);
    expect(result.exitCode).toBe(0);
    const list = events(result.stdout);
    expect(finished(list)).toEqual(expect.arrayContaining(["check", "image", "overlay", "seed", "machine", "define", "start", "boot"]));
    const started = list.findIndex((e) => e.phase === "boot" && e.status === "started");
    const ended = list.findIndex((e) => e.phase === "boot" && e.status === "finished");
    expect(started).toBeLessThan(ended);
    expect(list.find((e) => e.event === "ready")).toMatchObject({ name, ip: expect.stringMatching(/^192\.168\.251\./) });
    const last = list.at(-1);
    expect(last.event).toBe("result");
    assertSchema("create", last.result);
    expect(last.result.name).toBe(name);
  }, 180_000);

  test("start: the power and wait phases, ready, then the result", async () => {
    expect((await cli(["stop", name])).exitCode).toBe(0);
    const list = events((await cli(["start", name, "--events"])).stdout);
    expect(finished(list)).toEqual(["power", "wait"]);
    expect(list.at(-2)).toMatchObject({ event: "ready", name });
    assertSchema("start", list.at(-1).result);
  }, 180_000);

  test("image pull: download progress that grows, the last one done, then the result", async () => {
    const image = await Bun.file(testImage("tiny")).bytes();
    // 64 KiB every 10 ms: long enough for several progress lines.
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              for (let at = 0; at < image.length; at += 65536) {
                controller.enqueue(image.subarray(at, at + 65536));
                await Bun.sleep(10);
              }
              controller.close();
            },
          }),
          { headers: { "content-length": String(image.length) } },
        ),
    });
    try {
      const list = events((await cli(["image", "pull", `http://127.0.0.1:${server.port}/tiny-events.qcow2`, "--events"])).stdout);
      const progress = list.filter((e) => e.event === "progress" && e.phase === "download");
      expect(progress.length).toBeGreaterThan(2);
      expect(progress.map((e) => e.bytes)).toEqual([...progress.map((e) => e.bytes)].sort((a, b) => a - b));
      expect(progress.at(-1)).toMatchObject({ done: true, bytes: image.length });
      assertSchema("image-pull", list.at(-1).result);
    } finally {
      server.stop(true);
    }
  }, 120_000);

  test("a failure ends with the error document as the last line, and the exit code", async () => {
    const result = await cli(["create", "/nonexistent/x.qcow2", "--name", uniqueName("evfail"), "--network", NETWORK, "--events"]);
    expect(result.exitCode).toBe(4);
    const last = events(result.stdout).at(-1);
    expect(last).toMatchObject({ event: "error", error: { code: "E_IMAGE_NOT_FOUND", exitCode: 4 } });
  });
});
