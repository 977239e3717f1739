/**
 * listImages, removeImage and pruneImages on a real cache filled by fetchImage from local
 * files. Usage readers stand in for instance records (tests/instance/image-usage.test.ts
 * covers reading those).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, utimesSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cachePaths, sourceFiles } from "../../lib/image/_cache-paths.ts";
import { ImageIndex } from "../../lib/image/_index.ts";
import { tryLock } from "../../lib/image/_lock.ts";
import { fetchImage, type CachedImage } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { parseAge } from "../../lib/image/parse-age.ts";
import { pruneImages } from "../../lib/image/prune-images.ts";
import { removeImage } from "../../lib/image/remove-image.ts";
import { listDir, useTempDirs } from "../_helpers.ts";
import { blobsDir, expectError, failure, images as cacheDir, partialDir } from "./_cache-helpers.ts";
import { rawDisk } from "./_image-server.ts";

const tempDir = useTempDirs();
const KiB = 1024;

/** A cache holding one image per size (in KiB), each from its own local file. */
async function cacheWith(...sizes: number[]): Promise<{ dataDir: string; images: CachedImage[] }> {
  const dir = await tempDir();
  const dataDir = join(dir, "data");
  const images: CachedImage[] = [];
  for (const [i, size] of sizes.entries()) {
    const path = join(dir, `disk${i}.raw`);
    await writeFile(path, rawDisk(size * KiB, i + 1));
    images.push(await fetchImage(path, { imageDir: cacheDir(dataDir) }));
  }
  return { dataDir, images };
}

/** A usage reader that says `names` use the image `digest`. */
function usedBy(digest: string, ...names: string[]): () => Map<string, string[]> {
  return () => new Map([[digest, names]]);
}

/** Pretends an image was last used `days` ago. */
function lastUsed(dataDir: string, digest: string, days: number): void {
  const index = new ImageIndex(join(dataDir, "images"));
  index.db.run("UPDATE blobs SET last_used = ? WHERE digest = ?", [new Date(Date.now() - days * 86400e3).toISOString(), digest]);
  index.close();
}

describe("listImages", () => {
  test("lists each blob with its sources, size, times and the instances using it", async () => {
    const { dataDir, images } = await cacheWith(64, 128);
    const list = listImages(cacheDir(dataDir), new Map([[images[1]!.digest, ["web", "db"]]]));
    expect(list.map((i) => i.digest).sort()).toEqual(images.map((i) => i.digest).sort());
    const second = list.find((i) => i.digest === images[1]!.digest)!;
    expect(second).toMatchObject({ size: 128 * KiB, format: "raw", path: images[1]!.path, sources: [images[1]!.source], instances: ["web", "db"], references: [] });
    expect(Date.parse(second.lastUsed)).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(second.createdAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  test("is empty, and creates nothing, where there is no cache", async () => {
    const dataDir = join(await tempDir(), "none");
    expect(listImages(cacheDir(dataDir))).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });

  test("never shows a blob whose file is gone", async () => {
    const { dataDir, images } = await cacheWith(64);
    await Bun.file(images[0]!.path).delete();
    expect(listImages(cacheDir(dataDir))).toEqual([]);
  });
});

describe("removeImage", () => {
  test("removes by full digest, leaving no row and no file", async () => {
    const { dataDir, images } = await cacheWith(64, 64);
    const removed = await removeImage(cacheDir(dataDir), images[0]!.digest);
    expect(removed).toMatchObject({ digest: images[0]!.digest, size: 64 * KiB, sources: [images[0]!.source], instances: [] });
    expect(existsSync(images[0]!.path)).toBe(false);
    expect(listImages(cacheDir(dataDir)).map((i) => i.digest)).toEqual([images[1]!.digest]);
  });

  test.each([
    ["a sha256: prefixed digest", (i: CachedImage) => `sha256:${i.digest}`],
    ["12 hex digits of the digest", (i: CachedImage) => i.digest.slice(0, 12)],
    ["its source path", (i: CachedImage) => i.source.slice("file://".length)],
    ["its file:// source", (i: CachedImage) => i.source],
  ])("removes by %s", async (_what, name) => {
    const { dataDir, images } = await cacheWith(64);
    expect((await removeImage(cacheDir(dataDir), name(images[0]!))).digest).toBe(images[0]!.digest);
    expect(await listDir(blobsDir(dataDir))).toEqual([]);
  });

  test("refuses an image an instance uses with E_IMAGE_IN_USE (exit 10), naming the instance", async () => {
    const { dataDir, images } = await cacheWith(64);
    const error = await failure(removeImage(cacheDir(dataDir), images[0]!.digest, { usage: usedBy(images[0]!.digest, "web") }));
    expectError(error, "E_IMAGE_IN_USE", 10, '"web"');
    expect(error.hint).toContain("testcloud remove web");
    expect(existsSync(images[0]!.path)).toBe(true);
    expect(listImages(cacheDir(dataDir))).toHaveLength(1);
  });

  test("removes it anyway with force, reporting who used it", async () => {
    const { dataDir, images } = await cacheWith(64);
    const removed = await removeImage(cacheDir(dataDir), images[0]!.digest, { usage: usedBy(images[0]!.digest, "web"), force: true });
    expect(removed.instances).toEqual(["web"]);
    expect(listImages(cacheDir(dataDir))).toEqual([]);
  });

  test("an image not in the cache is E_NOT_CACHED (exit 4)", async () => {
    const { dataDir } = await cacheWith(64);
    expectError(await failure(removeImage(cacheDir(dataDir), "deadbeefdeadbeef")), "E_NOT_CACHED", 4, "deadbeefdeadbeef");
    expectError(await failure(removeImage(cacheDir(dataDir), "https://example.org/x.qcow2")), "E_NOT_CACHED", 4, "x.qcow2");
  });

  test("a digest prefix matching two images is a usage error", async () => {
    const { dataDir, images } = await cacheWith(64, 64);
    const index = new ImageIndex(join(dataDir, "images"));
    // Give both digests a common prefix, as two images one day will.
    index.db.run("UPDATE blobs SET digest = 'abcdef01' || substr(digest, 9)");
    index.close();
    expectError(await failure(removeImage(cacheDir(dataDir), "abcdef01")), "E_USAGE", 2, "Ambiguous digest");
    expect(images).toHaveLength(2);
    expect(await listDir(blobsDir(dataDir))).toHaveLength(2);
  });
});

describe("pruneImages", () => {
  test("without options removes every unused image and never one in use", async () => {
    const { dataDir, images } = await cacheWith(64, 128, 256);
    const result = await pruneImages(cacheDir(dataDir), { usage: usedBy(images[1]!.digest, "web") });
    expect(result.removed.map((r) => r.digest).sort()).toEqual([images[0]!.digest, images[2]!.digest].sort());
    expect(result.bytesFreed).toBe(320 * KiB);
    expect(result.bytesKept).toBe(128 * KiB);
    expect(listImages(cacheDir(dataDir)).map((i) => i.digest)).toEqual([images[1]!.digest]);
  });

  test("--older-than removes only unused images idle that long", async () => {
    const { dataDir, images } = await cacheWith(64, 64, 64);
    lastUsed(dataDir, images[0]!.digest, 40);
    lastUsed(dataDir, images[1]!.digest, 40);
    const result = await pruneImages(cacheDir(dataDir), { olderThanMs: parseAge("30d", "--older-than"), usage: usedBy(images[1]!.digest, "web") });
    expect(result.removed.map((r) => r.digest)).toEqual([images[0]!.digest]);
    expect(listImages(cacheDir(dataDir))).toHaveLength(2);
  });

  test("--max-size removes the least recently used unused images until the cache fits", async () => {
    const { dataDir, images } = await cacheWith(100, 100, 100, 100);
    for (const [i, days] of [5, 1, 9, 3].entries()) lastUsed(dataDir, images[i]!.digest, days);
    const usage = usedBy(images[2]!.digest, "web"); // the oldest, but in use
    const result = await pruneImages(cacheDir(dataDir), { maxSize: 250 * KiB, usage });
    expect(result.removed.map((r) => r.digest)).toEqual([images[0]!.digest, images[3]!.digest]);
    expect(result.bytesKept).toBe(200 * KiB);
  });

  test("--max-size keeps images in use even when they alone exceed it", async () => {
    const { dataDir, images } = await cacheWith(100);
    const result = await pruneImages(cacheDir(dataDir), { maxSize: 1, usage: usedBy(images[0]!.digest, "web") });
    expect(result.removed).toEqual([]);
    expect(result.bytesKept).toBe(100 * KiB);
  });

  test("deletes abandoned partial downloads but not one a process is writing", async () => {
    const { dataDir } = await cacheWith(64);
    const paths = cachePaths(cacheDir(dataDir));
    const abandoned = sourceFiles(paths, "https://example.org/a.qcow2");
    const active = sourceFiles(paths, "https://example.org/b.qcow2");
    for (const files of [abandoned, active]) {
      await Bun.write(files.data, new Uint8Array(1000));
      await Bun.write(files.meta, "{}");
      utimesSync(files.data, new Date(Date.now() - 3600e3), new Date(Date.now() - 3600e3));
    }
    const lock = tryLock(active.lock)!;
    try {
      const result = await pruneImages(cacheDir(dataDir), { olderThanMs: 60e3 });
      expect(result.partials).toEqual([{ path: abandoned.data, size: 1000 }]);
      expect(await listDir(partialDir(dataDir))).toEqual([`${active.key}.json`, `${active.key}.partial`]);
    } finally {
      lock.release();
    }
  });
});

describe("pruneImages and files the index does not know", () => {
  test("deletes an unindexed blob once it is 10 minutes old, unless an instance uses it", async () => {
    const { dataDir, images } = await cacheWith(64, 128);
    // As a crash between forgetting a blob and deleting its file would leave them.
    const index = new ImageIndex(join(dataDir, "images"));
    for (const image of images) index.forget(image.digest);
    index.close();
    const usage = usedBy(images[1]!.digest, "web");
    expect((await pruneImages(cacheDir(dataDir), { usage })).orphans).toEqual([]);
    const later = await pruneImages(cacheDir(dataDir), { usage, now: Date.now() + 11 * 60e3 });
    expect(later.orphans).toEqual([{ path: images[0]!.path, size: 64 * KiB }]);
    expect(later.bytesFreed).toBe(64 * KiB);
    expect(await listDir(blobsDir(dataDir))).toEqual([`sha256-${images[1]!.digest}`]);
  });
});

describe("parseAge", () => {
  test.each([
    ["30d", 30 * 86400e3],
    ["12h", 12 * 3600e3],
    ["2w", 14 * 86400e3],
    ["90m", 90 * 60e3],
    ["45s", 45e3],
  ])("%s", (text, ms) => expect(parseAge(text, "--older-than")).toBe(ms));

  test("refuses what is not an age", async () => {
    expectError(await failure((async () => parseAge("30", "--older-than"))()), "E_USAGE", 2, "--older-than");
    expectError(await failure((async () => parseAge("soon", "--older-than"))()), "E_USAGE", 2, '"soon"');
  });
});
