/**
 * Faults a download meets against a real local HTTP server, other than a broken or stalled
 * connection (download-interrupted): HTTP errors, bodies that are not images, checksums, a
 * full disk and a corrupt cache index. The error is one line naming what failed, carries its
 * documented code and exit code, and no image (nor a temp file) is left visible in the
 * cache. Resumable partial downloads may stay: they are not images, and `image list` never
 * shows them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, partials } from "./_cache-helpers.ts";
import { DISK, fetchFast } from "./_download-faults.ts";
import { rawDisk, sha256, useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const makeDir = useTempDirs("all");

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
