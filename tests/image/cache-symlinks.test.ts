/**
 * Links and foreign files planted in the image cache redirect no write: a symbolic link
 * at a partial download's path (or its metadata, its temp file, a lock, a blob) is
 * replaced or refused, never followed; the victim file it points at stays as it was,
 * and only regular files of ours ever become blobs.
 */
import { describe, expect, test } from "bun:test";
import { chownSync, linkSync, lstatSync, readdirSync, symlinkSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { cachePaths, sourceFiles } from "../../lib/image/_cache-paths.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { useTempDirs } from "../_helpers.ts";
import { blobsDir, expectError, failure, images } from "./_cache-helpers.ts";
import { rawDisk, sha256, useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const DISK = rawDisk(1 << 20, 7);
const VICTIM = "precious host file: must never change\n";

/** A data dir, the URL's cache files, and a victim file outside the cache. */
async function setup(path = "/disk.raw") {
  const dataDir = await tempDir();
  const victim = join(await tempDir(), "victim");
  await Bun.write(victim, VICTIM);
  const url = server.url(path);
  const files = sourceFiles(cachePaths(images(dataDir)), url);
  await mkdir(join(images(dataDir), "partial"), { recursive: true });
  await mkdir(join(images(dataDir), "locks"), { recursive: true });
  server.put(path, DISK);
  return { dataDir, victim, url, files };
}

/** The victim is unchanged, and blobs/ holds regular files only, each its digest's bytes. */
async function expectSafe(dataDir: string, victim: string): Promise<void> {
  expect(await Bun.file(victim).text()).toBe(VICTIM);
  for (const name of readdirSync(blobsDir(dataDir))) {
    const path = join(blobsDir(dataDir), name);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(`sha256-${sha256(await Bun.file(path).bytes())}`).toBe(name);
  }
}

describe("a planted link in the cache", () => {
  test("at the partial download's path is replaced: the pull succeeds and the victim is untouched", async () => {
    const { dataDir, victim, url, files } = await setup();
    symlinkSync(victim, files.data);
    const image = await fetchImage(url, { imageDir: images(dataDir) });
    expect(image.digest).toBe(sha256(DISK));
    await expectSafe(dataDir, victim);
  });

  test("at the partial path with metadata that invites a resume: the victim is neither resumed from nor appended to", async () => {
    const { dataDir, victim, url, files } = await setup();
    symlinkSync(victim, files.data);
    await Bun.write(files.meta, JSON.stringify({ url, etag: null, lastModified: null, length: DISK.byteLength }));
    const image = await fetchImage(url, { imageDir: images(dataDir), sha256: sha256(DISK) });
    expect(image.digest).toBe(sha256(DISK));
    expect(server.log.map((r) => r.range)).toEqual([null]);
    await expectSafe(dataDir, victim);
  });

  test("dangling at the partial path does not create its target", async () => {
    const { dataDir, victim, url, files } = await setup();
    const target = join(victim, "..", "created-through-link");
    symlinkSync(target, files.data);
    await fetchImage(url, { imageDir: images(dataDir) });
    expect(await Bun.file(target).exists()).toBe(false);
    await expectSafe(dataDir, victim);
  });

  test("at the metadata file and at its predictable temp file leaves the victim untouched", async () => {
    const { dataDir, victim, url, files } = await setup();
    symlinkSync(victim, files.meta);
    symlinkSync(victim, `${files.meta}.${process.pid}.tmp`);
    await fetchImage(url, { imageDir: images(dataDir) });
    await expectSafe(dataDir, victim);
  });

  test("at the source's lock file is replaced: the victim is not opened as a database", async () => {
    const { dataDir, victim, url, files } = await setup();
    symlinkSync(victim, files.lock);
    await fetchImage(url, { imageDir: images(dataDir) });
    // The link is gone (the fetch deletes its lock file when it lets go); the victim stays as it was.
    expect(lstatSync(files.lock, { throwIfNoEntry: false })?.isSymbolicLink() ?? false).toBe(false);
    await expectSafe(dataDir, victim);
  });

  test("at the index is refused with E_CACHE_UNSAFE, and the victim untouched", async () => {
    const { dataDir, victim, url } = await setup();
    symlinkSync(victim, join(images(dataDir), "index.sqlite"));
    const error = await failure(fetchImage(url, { imageDir: images(dataDir) }));
    expectError(error, "E_CACHE_UNSAFE", 6, "symbolic link");
    expect(await Bun.file(victim).text()).toBe(VICTIM);
  });

  test("in place of a cached blob is not used: the image is fetched again into a regular file", async () => {
    const { dataDir, victim, url } = await setup();
    const first = await fetchImage(url, { imageDir: images(dataDir) });
    await Bun.file(first.path).delete();
    symlinkSync(victim, first.path);
    expect(listImages(images(dataDir))).toEqual([]);
    const second = await fetchImage(url, { imageDir: images(dataDir) });
    expect([second.cached, second.path]).toEqual([false, first.path]);
    await expectSafe(dataDir, victim);
    expect(listImages(images(dataDir)).map((i) => i.digest)).toEqual([sha256(DISK)]);
  });
});

describe("a planted file at the partial path", () => {
  test("of another user is not resumed from: the download starts over into a file of ours", async () => {
    const { dataDir, url, files } = await setup();
    await Bun.write(files.data, DISK.subarray(0, 4096));
    await Bun.write(files.meta, JSON.stringify({ url, etag: null, lastModified: null, length: DISK.byteLength }));
    chownSync(files.data, 65534, 65534);
    const image = await fetchImage(url, { imageDir: images(dataDir), sha256: sha256(DISK) });
    expect(image.digest).toBe(sha256(DISK));
    expect(server.log.map((r) => r.range)).toEqual([null]);
  });

  test("that is a hard link to a host file is not written through", async () => {
    const { dataDir, victim, url, files } = await setup();
    linkSync(victim, files.data);
    await fetchImage(url, { imageDir: images(dataDir) });
    await expectSafe(dataDir, victim);
  });
});
