import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DependencyError } from "../../lib/errors.ts";
import { ensureDataDir } from "../../lib/host/data-dir.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();
const mode = (path: string) => statSync(path).mode & 0o777;

describe("ensureDataDir", () => {
  test("makes the image cache inside the data dir by default, with the folders QEMU walks through 0711", async () => {
    const dataDir = join(await tempDir(), "data");
    ensureDataDir(dataDir);
    for (const dir of [dataDir, join(dataDir, "instances"), join(dataDir, "images"), join(dataDir, "images", "blobs")]) {
      expect([dir, mode(dir)]).toEqual([dir, 0o711]);
    }
  });

  test("makes an image dir elsewhere, and each folder it had to make on the way, 0711 (QEMU reads the blobs)", async () => {
    const root = await tempDir();
    const dataDir = join(root, "data");
    const imageDir = join(root, "cache", "deep", "images");
    ensureDataDir(dataDir, imageDir);
    for (const dir of [join(root, "cache"), join(root, "cache", "deep"), imageDir, join(imageDir, "blobs")]) {
      expect([dir, mode(dir)]).toEqual([dir, 0o711]);
    }
    expect(statSync(join(dataDir, "images"), { throwIfNoEntry: false })).toBeUndefined();
  });

  test("leaves the mode of an image dir the user made alone, as it does the data dir's", async () => {
    const root = await tempDir();
    const imageDir = join(root, "mine");
    mkdirSync(imageDir);
    chmodSync(imageDir, 0o755);
    ensureDataDir(join(root, "data"), imageDir);
    expect(mode(imageDir)).toBe(0o755);
    expect(mode(join(imageDir, "blobs"))).toBe(0o711);
  });

  test("refuses an image dir others can write, naming it and the setting to change", async () => {
    const root = await tempDir();
    const imageDir = join(root, "open");
    mkdirSync(imageDir);
    chmodSync(imageDir, 0o777);
    let error: unknown;
    try {
      ensureDataDir(join(root, "data"), imageDir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).message).toBe(`Image directory unusable: "${imageDir}": others can write it (mode 0777)`);
    expect((error as DependencyError).hint).toContain("TESTCLOUD_IMAGE_DIR");
  });
});
