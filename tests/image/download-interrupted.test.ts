/**
 * Downloads interrupted by a real local HTTP server that cuts the connection short, resets it,
 * ignores Range, or stalls: each is resumed where it stopped (Range and If-Range) or restarted
 * from zero, never spliced, and given up with a documented error once no attempt makes
 * progress. No image (nor a temp file) is left visible in the cache after a failure.
 */
import { describe, expect, test } from "bun:test";
import { useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, partials } from "./_cache-helpers.ts";
import { DISK, fetchFast } from "./_download-faults.ts";
import { head, rawDisk, sha256, useRawServer } from "./_image-server.ts";

const raw = useRawServer();
const tempDir = useTempDirs();
const HALF = DISK.byteLength / 2;


describe("broken connections", () => {
  /** First connection: the full length announced, half the body sent, then `cut`. Later ones: honour Range. */
  function cutOnce(cut: (socket: import("node:net").Socket) => void, ranges = true) {
    raw.script((request, socket) => {
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
      const validators = { ETag: '"v1"', "Last-Modified": "Tue, 01 Apr 2025 10:00:00 GMT", "Content-Type": "application/octet-stream" };
      if (request.n === 1) {
        head(socket, "200 OK", { ...validators, "Content-Length": DISK.byteLength });
        socket.write(DISK.subarray(0, HALF), () => setTimeout(() => cut(socket), 20));
        return;
      }
      const start = range && ranges ? Number(range[1]) : 0;
      const status = start > 0 ? "206 Partial Content" : "200 OK";
      const extra: Record<string, string> = start > 0 ? { "Content-Range": `bytes ${start}-${DISK.byteLength - 1}/${DISK.byteLength}` } : {};
      head(socket, status, { ...validators, ...extra, "Content-Length": DISK.byteLength - start, Connection: "close" });
      socket.end(DISK.subarray(start));
    });
  }

  test("a body cut short of its Content-Length is resumed with Range and If-Range", async () => {
    const dataDir = await tempDir();
    cutOnce((socket) => socket.end());
    const image = await fetchFast(raw.url("/disk.raw"), dataDir);
    expect(image.digest).toBe(sha256(DISK));
    expect(raw.requests).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(raw.requests[1]!.headers.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(HALF);
    expect(raw.requests[1]!.headers["if-range"]).toBe('"v1"');
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a connection reset mid-stream is resumed, not restarted", async () => {
    const dataDir = await tempDir();
    cutOnce((socket) => socket.resetAndDestroy());
    const image = await fetchFast(raw.url("/disk.raw"), dataDir);
    expect(image.digest).toBe(sha256(DISK));
    expect(raw.requests[1]!.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  test("a server that ignores Range is downloaded again from zero, not spliced", async () => {
    const dataDir = await tempDir();
    cutOnce((socket) => socket.resetAndDestroy(), false);
    const image = await fetchFast(raw.url("/disk.raw"), dataDir);
    // Asked to resume, got a 200 with the whole file, and used it as such: two requests.
    expect(raw.requests).toHaveLength(2);
    expect(raw.requests[1]!.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(image.digest).toBe(sha256(DISK));
    expect(image.size).toBe(DISK.byteLength);
  });

  test("a body that is always cut short gives up with E_DOWNLOAD once no attempt makes progress", async () => {
    const dataDir = await tempDir();
    raw.script((_request, socket) => {
      head(socket, "200 OK", { "Content-Length": DISK.byteLength, "Content-Type": "application/octet-stream" });
      socket.end(DISK.subarray(0, 4096));
    });
    const error = await failure(fetchFast(raw.url("/disk.raw"), dataDir, { attempts: 3 }));
    expectError(error, "E_DOWNLOAD", 6, raw.url("/disk.raw"));
    // Without a validator nothing can be resumed safely: every attempt starts from zero.
    expect(raw.requests.every((r) => r.headers.range === undefined)).toBe(true);
    // Bounded: 3 attempts that get no further than before. Attempts that do get further
    // reset the count, and how much of a cut body reaches the client varies from run to run.
    expect(raw.requests.length).toBeGreaterThanOrEqual(3);
    expect(raw.requests.length).toBeLessThanOrEqual(8);
    await expectNoImage(dataDir);
  });

  test("a refused connection is E_DOWNLOAD after the attempts", async () => {
    const dataDir = await tempDir();
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const error = await failure(fetchFast(`http://127.0.0.1:${port}/x.qcow2`, dataDir, { attempts: 2 }));
    expectError(error, "E_DOWNLOAD", 6, `http://127.0.0.1:${port}/x.qcow2`);
    await expectNoImage(dataDir);
  });
});

describe("a server that stalls", () => {
  test("is given up on after the stall timeout with E_DOWNLOAD_STALLED, and the next run resumes", async () => {
    const dataDir = await tempDir();
    raw.script((request, socket) => {
      const validators = { ETag: '"s1"', "Content-Type": "application/octet-stream" };
      if (request.n === 1) {
        head(socket, "200 OK", { ...validators, "Content-Length": DISK.byteLength });
        socket.write(DISK.subarray(0, 65536)); // then nothing, forever
        return;
      }
      const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? "")?.[1] ?? 0);
      const range = { "Content-Range": `bytes ${start}-${DISK.byteLength - 1}/${DISK.byteLength}` };
      head(socket, "206 Partial Content", { ...validators, ...range, "Content-Length": DISK.byteLength - start, Connection: "close" });
      socket.end(DISK.subarray(start));
    });
    const started = performance.now();
    const error = await failure(fetchFast(raw.url("/disk.raw"), dataDir, { stallMs: 400 }));
    expect(performance.now() - started).toBeLessThan(3000);
    expectError(error, "E_DOWNLOAD_STALLED", 6, `"${raw.url("/disk.raw")}": no data for 0.4 s`);
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toHaveLength(1);
    const image = await fetchFast(raw.url("/disk.raw"), dataDir);
    expect(image.digest).toBe(sha256(DISK));
    expect(raw.requests[1]!.headers.range).toBe("bytes=65536-");
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a download of several MiB stalled at an odd offset resumes there and is stored byte for byte", async () => {
    // The resumed file is hashed from disk; the slot up to the next MiB goes through the
    // page cache, the whole slots after it with O_DIRECT.
    const dataDir = await tempDir();
    const big = rawDisk((6 << 20) + 777, 3);
    const stalledAt = (3 << 20) + 12_345;
    raw.script((request, socket) => {
      const validators = { ETag: '"odd"', "Content-Type": "application/octet-stream" };
      if (request.n === 1) {
        head(socket, "200 OK", { ...validators, "Content-Length": big.byteLength });
        socket.write(big.subarray(0, stalledAt)); // then nothing, forever
        return;
      }
      const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? "")?.[1] ?? 0);
      const range = { "Content-Range": `bytes ${start}-${big.byteLength - 1}/${big.byteLength}` };
      head(socket, "206 Partial Content", { ...validators, ...range, "Content-Length": big.byteLength - start, Connection: "close" });
      socket.end(big.subarray(start));
    });
    expectError(await failure(fetchFast(raw.url("/odd.raw"), dataDir)), "E_DOWNLOAD_STALLED", 6, "no data for");
    const image = await fetchFast(raw.url("/odd.raw"), dataDir);
    expect(raw.requests[1]!.headers.range).toBe(`bytes=${stalledAt}-`);
    expect(image.digest).toBe(sha256(big));
    expect(sha256(new Uint8Array(await Bun.file(image.path).arrayBuffer()))).toBe(sha256(big));
  });

  test("a server that never answers the request is a stall too", async () => {
    const dataDir = await tempDir();
    raw.script(() => {});
    const error = await failure(fetchFast(raw.url("/silent.raw"), dataDir, { stallMs: 300 }));
    expectError(error, "E_DOWNLOAD_STALLED", 6, raw.url("/silent.raw"));
    await expectNoImage(dataDir);
  });
});
