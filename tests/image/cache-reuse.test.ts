/**
 * When the cache answers without downloading: a rolling URL is revalidated with a
 * conditional GET (no body when unchanged), a changed one is fetched again, a checksum
 * vouches for a cached copy without any request, and --offline never touches the network.
 */
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, images } from "./_cache-helpers.ts";
import { rawDisk, sha256, useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const V1 = rawDisk(256 << 10, 1);
const V2 = rawDisk(256 << 10, 2);

const get = (path: string, dataDir: string, options: Partial<FetchOptions> = {}) =>
  fetchImage(server.url(path), { imageDir: images(dataDir), retryDelayMs: 5, ...options });

describe("a rolling URL", () => {
  test("that is unchanged is confirmed with a conditional GET and no body", async () => {
    const dataDir = await tempDir();
    server.put("/latest.raw", V1);
    const first = await get("/latest.raw", dataDir);
    const second = await get("/latest.raw", dataDir);
    expect(second).toEqual({ ...first, cached: true });
    expect(server.log.map((r) => r.status)).toEqual([200, 304]);
    expect(server.sent("/latest.raw")).toBe(V1.byteLength);
  });

  test("that changed upstream is downloaded again, and the old image stays until pruned", async () => {
    const dataDir = await tempDir();
    server.put("/latest.raw", V1);
    const first = await get("/latest.raw", dataDir);
    server.put("/latest.raw", V2);
    const second = await get("/latest.raw", dataDir);
    expect(second.cached).toBe(false);
    expect(second.digest).toBe(sha256(V2));
    expect(server.log.map((r) => r.status)).toEqual([200, 200]);
    const listed = listImages(images(dataDir));
    expect(listed.map((i) => i.digest).sort()).toEqual([first.digest, second.digest].sort());
    expect(listed.find((i) => i.digest === first.digest)?.sources).toEqual([]);
    expect(listed.find((i) => i.digest === second.digest)?.sources).toEqual([server.url("/latest.raw")]);
  });

  test("on a server that ignores conditional requests is still not stored again when its ETag is the same", async () => {
    const dataDir = await tempDir();
    server.put("/latest.raw", V1, { conditional: false });
    const first = await get("/latest.raw", dataDir);
    const second = await get("/latest.raw", dataDir);
    expect(second).toEqual({ ...first, cached: true });
    expect(server.log.map((r) => r.status)).toEqual([200, 200]);
    expect(listImages(images(dataDir))).toHaveLength(1);
  });

  test("on a server without ETag or Last-Modified is downloaded every time, keeping the same blob file", async () => {
    const dataDir = await tempDir();
    server.put("/latest.raw", V1, { etag: null, lastModified: null });
    const first = await get("/latest.raw", dataDir);
    const inode = statSync(first.path).ino;
    const second = await get("/latest.raw", dataDir);
    expect(second.cached).toBe(false);
    expect(second.digest).toBe(first.digest);
    // Running VMs may hold the old file open: the blob is kept, not replaced.
    expect(statSync(second.path).ino).toBe(inode);
    expect(server.bodyGets("/latest.raw")).toHaveLength(2);
  });

  test("whose cached file was deleted is downloaded again", async () => {
    const dataDir = await tempDir();
    server.put("/latest.raw", V1);
    const first = await get("/latest.raw", dataDir);
    await rm(first.path);
    const second = await get("/latest.raw", dataDir);
    expect(second.cached).toBe(false);
    expect(server.bodyGets("/latest.raw")).toHaveLength(2);
    expect(server.log[1]!.status).toBe(200);
  });
});

describe("a checksum vouching for the cached copy", () => {
  test("a matching --sha256 reuses the cached copy without any request", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", V1);
    await get("/disk.raw", dataDir);
    const again = await get("/disk.raw", dataDir, { sha256: sha256(V1) });
    expect(again.cached).toBe(true);
    expect(server.log).toHaveLength(1);
  });

  test("a --sha256 the cached copy does not match downloads and verifies instead", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", V1);
    await get("/disk.raw", dataDir);
    server.put("/disk.raw", V2);
    const again = await get("/disk.raw", dataDir, { sha256: sha256(V2) });
    expect(again.digest).toBe(sha256(V2));
    // No conditional request: the checksum, not the server, decides what is right.
    expect(server.log[1]).toMatchObject({ status: 200, range: null });
  });

  test("two URLs with the same bytes share one blob", async () => {
    const dataDir = await tempDir();
    server.put("/a.raw", V1);
    server.put("/b.raw", V1);
    const a = await get("/a.raw", dataDir);
    const b = await get("/b.raw", dataDir);
    expect(b.path).toBe(a.path);
    expect(listImages(images(dataDir))).toMatchObject([{ digest: a.digest, sources: [server.url("/b.raw"), server.url("/a.raw")] }]);
  });
});

describe("--offline", () => {
  test("fails fast with E_NOT_CACHED (exit 4) and no request when the URL is not cached", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", V1);
    const error = await failure(get("/disk.raw", dataDir, { offline: true }));
    expectError(error, "E_NOT_CACHED", 4, server.url("/disk.raw"));
    expect(error.hint).toBe(`testcloud image pull --no-offline ${server.url("/disk.raw")}`);
    expect(server.log).toEqual([]);
    await expectNoImage(dataDir);
  });

  test("uses the cached copy without revalidating it", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", V1);
    const first = await get("/disk.raw", dataDir);
    server.put("/disk.raw", V2);
    const offline = await get("/disk.raw", dataDir, { offline: true });
    expect(offline).toEqual({ ...first, cached: true });
    expect(server.log).toHaveLength(1);
  });

  test("still checks a --sha256 against the cached copy", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", V1);
    await get("/disk.raw", dataDir);
    const error = await failure(get("/disk.raw", dataDir, { offline: true, sha256: sha256(V2) }));
    expectError(error, "E_CHECKSUM_MISMATCH", 6, server.url("/disk.raw"));
  });

  test("reads a local file as usual", async () => {
    const dataDir = await tempDir();
    const path = `${await tempDir()}/disk.raw`;
    await Bun.write(path, V1);
    expect((await fetchImage(path, { imageDir: images(dataDir), offline: true })).digest).toBe(sha256(V1));
  });
});
