/**
 * Many processes, one download: real `bun` processes fetch the same new image at once from
 * a real HTTP server that counts the requests answered with a body. Exactly one downloads,
 * the others wait on the source's lock and reuse its blob; a downloader killed with -9 is
 * taken over (and its partial download resumed), not waited on forever.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { CachedImage } from "../../lib/image/fetch-image.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { useTempDirs } from "../_helpers.ts";
import { images, partials } from "./_cache-helpers.ts";
import { rawDisk, sha256, useImageServer } from "./_image-server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const WORKER = join(import.meta.dir, "_fetch-worker.ts");
const server = useImageServer();
const tempDir = useTempDirs();
// 4 MiB in 64 KiB chunks, 15 ms apart: about a second, long enough for every process to arrive.
const DISK = rawDisk(4 << 20, 7);

function worker(ref: string, dataDir: string): Subprocess<"ignore", "pipe", "pipe"> {
  return Bun.spawn([BUN, WORKER, ref, dataDir], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

async function result(proc: Subprocess<"ignore", "pipe", "pipe">): Promise<CachedImage & { exitCode: number }> {
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { ...(JSON.parse(stdout) as CachedImage), exitCode };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("concurrent fetches of one new image", () => {
  test("8 processes at once make exactly one body download and all get the same blob", async () => {
    const dataDir = await tempDir();
    server.put("/new.raw", DISK, { chunkDelayMs: 15 });
    const procs = Array.from({ length: 8 }, () => worker(server.url("/new.raw"), dataDir));
    const results = await Promise.all(procs.map(result));
    expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);
    expect(new Set(results.map((r) => r.digest))).toEqual(new Set([sha256(DISK)]));
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(server.bodyGets("/new.raw")).toHaveLength(1);
    expect(server.sent("/new.raw")).toBe(DISK.byteLength);
    expect(listImages(images(dataDir))).toHaveLength(1);
  }, 30_000);

  test("concurrent fetches within one process make one body download too", async () => {
    const dataDir = await tempDir();
    server.put("/new.raw", DISK, { chunkDelayMs: 2 });
    const results = await Promise.all(Array.from({ length: 4 }, () => fetchImage(server.url("/new.raw"), { imageDir: images(dataDir) })));
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(server.bodyGets("/new.raw")).toHaveLength(1);
  });

  test("a downloader killed with -9 is taken over at once, and its partial download is resumed", async () => {
    const dataDir = await tempDir();
    server.put("/new.raw", DISK, { chunkDelayMs: 15 });
    const first = worker(server.url("/new.raw"), dataDir);
    await until(() => server.sent("/new.raw") >= 1 << 20);
    const second = worker(server.url("/new.raw"), dataDir);
    // The second process waits on the lock: it asks the server nothing while the first lives.
    await Bun.sleep(700);
    expect(server.log.filter((r) => r.method === "GET")).toHaveLength(1);
    first.kill("SIGKILL");
    await first.exited;
    const killedAt = performance.now();
    const taken = await result(second);
    expect(taken.exitCode).toBe(0);
    expect(taken.digest).toBe(sha256(DISK));
    expect(performance.now() - killedAt).toBeLessThan(5000);
    const gets = server.bodyGets("/new.raw");
    expect(gets).toHaveLength(2);
    expect(gets[1]!.status).toBe(206);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(1 << 19);
    // Re-fetched bytes: what the killed process was sent beyond what it had written.
    expect(server.sent("/new.raw") - DISK.byteLength).toBeLessThan(1 << 20);
    expect(await partials(dataDir)).toEqual([]);
  }, 30_000);
});
