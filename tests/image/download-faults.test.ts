/**
 * Every fault the issue lists, each against a real local HTTP server: the error is one
 * line naming what failed, carries its documented code and exit code, and no image (nor a
 * temp file) is left visible in the cache. Resumable partial downloads may stay: they are
 * not images, and `image list` never shows them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import { useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, images, partials } from "./_cache-helpers.ts";
import { head, rawDisk, sha256, useImageServer, useRawServer } from "./_image-server.ts";

const server = useImageServer();
const raw = useRawServer();
const tempDir = useTempDirs();
const makeDir = useTempDirs("all");
const DISK = rawDisk(1 << 20);
const HALF = DISK.byteLength / 2;
// Fast retries and stall detection keep each test well under a second.
const fast: Omit<FetchOptions, "imageDir"> = { retryDelayMs: 5, stallMs: 300 };

async function fetchFast(ref: string, dataDir: string, options: Partial<FetchOptions> = {}) {
  return fetchImage(ref, { imageDir: images(dataDir), ...fast, ...options });
}

describe("HTTP errors", () => {
  test("a 404 is E_DOWNLOAD_NOT_FOUND (exit 6), asked once, and caches nothing", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchFast(server.url("/missing.raw"), dataDir));
    expectError(error, "E_DOWNLOAD_NOT_FOUND", 6, `"${server.url("/missing.raw")}": HTTP 404`);
    expect(server.log).toHaveLength(1);
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a 500 is retried with backoff and the download then succeeds", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    server.override("/disk.raw", (_request, n, next) => (n <= 2 ? new Response("oops", { status: 500 }) : next()));
    const image = await fetchFast(server.url("/disk.raw"), dataDir);
    expect(image.digest).toBe(sha256(DISK));
    expect(server.log.filter((r) => r.path === "/disk.raw").map((r) => r.status)).toEqual([500, 500, 200]);
  });

  test("a persistent 500 gives up after the attempts with E_DOWNLOAD (exit 6)", async () => {
    const dataDir = await tempDir();
    server.override("/broken.raw", () => new Response("Internal Server Error", { status: 500 }));
    const error = await failure(fetchFast(server.url("/broken.raw"), dataDir, { attempts: 3 }));
    expectError(error, "E_DOWNLOAD", 6, `"${server.url("/broken.raw")}": HTTP 500 (3 attempts)`);
    expect(server.log).toHaveLength(3);
    await expectNoImage(dataDir);
  });

  test("a 403 is not retried", async () => {
    const dataDir = await tempDir();
    server.override("/secret.raw", () => new Response("Forbidden", { status: 403 }));
    const error = await failure(fetchFast(server.url("/secret.raw"), dataDir));
    expectError(error, "E_DOWNLOAD", 6, "HTTP 403");
    expect(server.log).toHaveLength(1);
    await expectNoImage(dataDir);
  });
});

describe("bodies that are not images", () => {
  const HTML = "<!DOCTYPE html>\n<html><body>Mirror maintenance</body></html>\n";

  test("an HTML page with 200 is E_NOT_AN_IMAGE and leaves not even a partial", async () => {
    const dataDir = await tempDir();
    server.put("/page", new TextEncoder().encode(HTML), { contentType: "text/html; charset=utf-8" });
    const error = await failure(fetchFast(server.url("/page"), dataDir));
    expectError(error, "E_NOT_AN_IMAGE", 6, "HTML");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("an HTML page labelled application/octet-stream is E_NOT_AN_IMAGE", async () => {
    const dataDir = await tempDir();
    server.put("/page.qcow2", new TextEncoder().encode(HTML));
    const error = await failure(fetchFast(server.url("/page.qcow2"), dataDir));
    expectError(error, "E_NOT_AN_IMAGE", 6, "HTML");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a raw file without a partition table is E_NOT_AN_IMAGE", async () => {
    const dataDir = await tempDir();
    const noMbr = DISK.slice();
    noMbr.set([0, 0], 510);
    server.put("/noise.raw", noMbr);
    const error = await failure(fetchFast(server.url("/noise.raw"), dataDir));
    expectError(error, "E_NOT_AN_IMAGE", 6, "no partition table");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a corrupt .xz is E_DECOMPRESS naming the tool", async () => {
    const dataDir = await tempDir();
    const bogus = new Uint8Array(4096);
    bogus.set([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
    server.put("/disk.raw.xz", bogus);
    const error = await failure(fetchFast(server.url("/disk.raw.xz"), dataDir));
    expectError(error, "E_DECOMPRESS", 6, "xz -dc");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });
});

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

describe("checksums", () => {
  test("a --sha256 that does not match is E_CHECKSUM_MISMATCH, nothing cached, no partial kept", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    const wrong = "0".repeat(64);
    const error = await failure(fetchFast(server.url("/disk.raw"), dataDir, { sha256: wrong }));
    expectError(error, "E_CHECKSUM_MISMATCH", 6, `expected sha256 ${wrong}, got ${sha256(DISK)}`);
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a --sha256 that matches is accepted, with or without a sha256: prefix", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", DISK);
    expect((await fetchFast(server.url("/disk.raw"), dataDir, { sha256: `sha256:${sha256(DISK).toUpperCase()}` })).digest).toBe(sha256(DISK));
  });

  test("a --sha256 that is not 64 hex digits is a usage error before any request", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchFast(server.url("/disk.raw"), dataDir, { sha256: "abc" }));
    expectError(error, "E_USAGE", 2, "--sha256");
    expect(server.log).toEqual([]);
  });
});

describe("a full disk", () => {
  let mountpoint = "";

  beforeAll(async () => {
    mountpoint = join(await makeDir(), "tmpfs");
    await mkdir(mountpoint);
    // Root in CI can mount; if this fails the test must fail, not skip: it is the only proof.
    const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mountpoint], { stderr: "pipe" });
    if (mount.exitCode !== 0) throw new Error(`Cannot mount a tmpfs for the full-disk test: ${mount.stderr.toString().trim()}`);
  });

  afterAll(() => {
    if (mountpoint) Bun.spawnSync(["umount", mountpoint]);
  });

  test("running out of space mid-download is E_DISK_FULL and frees what it wrote", async () => {
    const dataDir = join(mountpoint, "data");
    server.put("/big.raw", rawDisk(16 << 20));
    const error = await failure(fetchFast(server.url("/big.raw"), dataDir));
    expectError(error, "E_DISK_FULL", 6, "No space left");
    expect(error.hint).toContain("testcloud image prune");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
    // The partial is gone: the space is free again for the next image.
    server.put("/disk.raw", DISK);
    expect((await fetchFast(server.url("/disk.raw"), dataDir)).digest).toBe(sha256(DISK));
    await Bun.$`rm -rf ${dataDir}`.quiet();
  });

  test("running out of space while decompressing is E_DISK_FULL with no temp file left", async () => {
    const dataDir = join(mountpoint, "data2");
    // 16 MiB of zeros compress to almost nothing: the download fits, the image does not.
    const sparse = new Uint8Array(16 << 20);
    sparse.set([0x55, 0xaa], 510);
    server.put("/zeros.raw.gz", Bun.gzipSync(sparse));
    const error = await failure(fetchFast(server.url("/zeros.raw.gz"), dataDir));
    expectError(error, "E_DISK_FULL", 6, "No space left");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
    await Bun.$`rm -rf ${dataDir}`.quiet();
  });
});

describe("a corrupt cache index", () => {
  test("is E_CACHE_CORRUPT naming the file, with a hint", async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, "images"), { recursive: true });
    await writeFile(join(dataDir, "images", "index.sqlite"), "this is not a database, it is a text file that got here somehow\n".repeat(100));
    server.put("/disk.raw", DISK);
    const error = await failure(fetchFast(server.url("/disk.raw"), dataDir));
    expectError(error, "E_CACHE_CORRUPT", 6, join(dataDir, "images", "index.sqlite"));
    expect(error.hint).toContain("mv ");
    expect(statSync(join(dataDir, "images", "blobs"), { throwIfNoEntry: false })).toBeUndefined();
  });
});

