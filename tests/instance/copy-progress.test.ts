import { describe, expect, test } from "bun:test";
import { openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnStreaming } from "../../lib/host/spawn-streaming.ts";
import { fileOffset, progressReporter, watchBytes } from "../../lib/instance/_copy-progress.ts";
import type { CopyProgress } from "../../lib/instance/_copy-types.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("progressReporter", () => {
  test("reports at most every 100 ms, never beyond the total, and always the end", () => {
    const events: CopyProgress[] = [];
    const progress = progressReporter({ target: async () => Promise.reject(), onProgress: (p) => events.push(p) }, "a.txt", 10);
    progress.add(4);
    progress.add(4);
    progress.set(12);
    progress.done();
    expect(events).toEqual([
      { source: "a.txt", bytes: 4, total: 10, done: false },
      { source: "a.txt", bytes: 10, total: 10, done: true },
    ]);
  });
});

describe("watchBytes", () => {
  test("polls while the work runs and stops a sender past the limit", async () => {
    const seen: number[] = [];
    let stopped = false;
    let bytes = 0;
    const work = (async () => {
      while (!stopped) {
        bytes += 10;
        await Bun.sleep(20);
      }
      return "stopped";
    })();
    expect(await watchBytes(work, () => bytes, (n) => seen.push(n), 50, () => (stopped = true))).toBe("stopped");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBeGreaterThan(50);
  });
});

describe("fileOffset", () => {
  test("follows what a child reading the inherited descriptor has read", async () => {
    const path = join(await tempDir(), "data");
    writeFileSync(path, new Uint8Array(4 * 2 ** 20));
    const fd = openSync(path, "r");
    expect(fileOffset(fd)).toBe(0);
    const child = spawnStreaming(["sh", "-c", "dd bs=1048576 count=3 of=/dev/null 2>/dev/null; sleep 0.3"], { stdin: fd });
    await Bun.sleep(150);
    expect(fileOffset(fd)).toBe(3 * 2 ** 20);
    await child.finished;
  });
});
