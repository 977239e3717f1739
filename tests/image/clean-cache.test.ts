import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachePaths, sourceFiles } from "../../lib/image/_cache-paths.ts";
import { tryLock } from "../../lib/image/_lock.ts";
import { cleanImageCache } from "../../lib/image/clean-cache.ts";
import { listDir, useTempDirs } from "../_helpers.ts";
import { images } from "./_cache-helpers.ts";

const tempDir = useTempDirs();

async function cacheWithDebris() {
  const dataDir = await tempDir();
  const paths = cachePaths(images(dataDir));
  mkdirSync(paths.partial, { recursive: true });
  mkdirSync(paths.tmp, { recursive: true });
  const files = sourceFiles(paths, "http://127.0.0.1:1/x.qcow2");
  writeFileSync(files.data, "half an image");
  writeFileSync(files.meta, "{}");
  const dead = Bun.spawnSync(["true"]).pid;
  writeFileSync(join(paths.tmp, `.tmp-${dead}-a`), "x");
  writeFileSync(join(paths.tmp, `.tmp-${process.pid}-b`), "x");
  return { dataDir, paths, files, dead };
}

describe("cleanImageCache", () => {
  test("removes an unfinished download nobody fetches and temp files of dead processes", async () => {
    const { dataDir, paths, files, dead } = await cacheWithDebris();
    const removed = cleanImageCache(images(dataDir));
    expect(removed.map((r) => r.path).sort()).toEqual([files.meta, files.data, join(paths.tmp, `.tmp-${dead}-a`)].sort());
    expect(await listDir(paths.partial)).toEqual([]);
    expect(await listDir(paths.tmp)).toEqual([`.tmp-${process.pid}-b`]);
  });

  test("keeps a download whose source lock is held: it is being fetched", async () => {
    const { dataDir, paths, files } = await cacheWithDebris();
    const lock = tryLock(files.lock)!;
    try {
      expect(cleanImageCache(images(dataDir)).map((r) => r.path)).not.toContain(files.data);
      expect(await listDir(paths.partial)).toHaveLength(2);
    } finally {
      lock.release();
    }
  });

  test("an empty or missing cache is nothing to clean", async () => {
    expect(cleanImageCache(await tempDir())).toEqual([]);
  });
});

describe("lock files", () => {
  test("clean deletes lock files nobody holds and keeps a held one", async () => {
    const { dataDir, paths } = await cacheWithDebris();
    mkdirSync(paths.locks, { recursive: true });
    const free = join(paths.locks, "free.lock");
    tryLock(free)!.release();
    const busy = tryLock(join(paths.locks, "busy.lock"))!;
    try {
      cleanImageCache(images(dataDir));
      // (SQLite keeps a -journal beside a lock held exclusively.)
      expect((await listDir(paths.locks)).filter((n) => n.endsWith(".lock"))).toEqual(["busy.lock"]);
    } finally {
      busy.release();
    }
  });

  test("a lock deleted by its holder is never held by two processes at once", async () => {
    const dir = await tempDir();
    const path = join(dir, "x.lock");
    const first = tryLock(path)!;
    // Opened before the holder deletes it: this handle is on the old inode.
    const second = tryLock(path);
    expect(second).toBeNull();
    first.release({ unlink: true });
    const third = tryLock(path)!;
    expect(third).not.toBeNull();
    // Whoever comes next finds the new file held.
    expect(tryLock(path)).toBeNull();
    third.release({ unlink: true });
    expect(await listDir(dir)).toEqual([]);
  });
});
