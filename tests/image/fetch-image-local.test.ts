/**
 * fetchImage from local files (a path or a file:// URL): copied into the cache under
 * their digest, served from it while unchanged, read again once changed or deleted,
 * refused when missing, a directory, or no usable disk image. Images are made by the
 * real qemu-img; after every failure the cache holds neither a blob nor a temp file.
 */
import { describe, expect, test } from "bun:test";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ImageError, NotFoundError } from "../../lib/errors.ts";
import { fetchImage, type CachedImage } from "../../lib/image/fetch-image.ts";
import { createImage, useTempDirs } from "../_helpers.ts";
import { images } from "./_cache-helpers.ts";
import { expectEmptyCache, failure, overlay, qcow2, text, useFetchFixtures } from "./_fetch-image-fixtures.ts";
import { sha256 } from "./_image-server.ts";

useFetchFixtures();
const tempDir = useTempDirs();

describe("fetchImage from a local file", () => {
  async function localImage(): Promise<{ dataDir: string; path: string }> {
    const dir = await tempDir();
    const path = join(dir, "disk.qcow2");
    await writeFile(path, qcow2);
    return { dataDir: join(dir, "data"), path };
  }

  test("copies the file into the cache under its digest", async () => {
    const { dataDir, path } = await localImage();
    const image = await fetchImage(path, { imageDir: images(dataDir) });
    expect(image).toMatchObject({ source: `file://${path}`, digest: sha256(qcow2), format: "qcow2", cached: false });
    expect(await Bun.file(image.path).bytes()).toEqual(qcow2);
  });

  test("accepts a file:// URL", async () => {
    const { dataDir, path } = await localImage();
    expect((await fetchImage(`file://${path}`, { imageDir: images(dataDir) })).digest).toBe(sha256(qcow2));
  });

  test("a second fetch of an unchanged file is served from the cache", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second.cached).toBe(true);
    expect(second.digest).toBe(first.digest);
    expect(second.path).toBe(first.path);
  });

  test("a cache hit reports the same fields as the first fetch", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second).toEqual({ ...first, cached: true } satisfies CachedImage);
  });

  test("a changed file is read again", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    await createImage(path, { size: 4 << 20 });
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second.cached).toBe(false);
    expect(second.digest).not.toBe(first.digest);
  });

  test("a cached blob that was deleted is read again", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    await Bun.file(first.path).delete();
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second.cached).toBe(false);
    expect(await Bun.file(second.path).bytes()).toEqual(qcow2);
  });

  test("a missing file is a NotFoundError with code E_IMAGE_NOT_FOUND", async () => {
    const dir = await tempDir();
    const dataDir = join(dir, "data");
    const error = await failure(join(dir, "nope.qcow2"), { dataDir });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.code).toBe("E_IMAGE_NOT_FOUND");
    expect(error.exitCode).toBe(4);
    await expectEmptyCache(dataDir);
  });

  test("a directory is a NotFoundError", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "images.d"));
    const dataDir = join(dir, "data");
    expect(await failure(join(dir, "images.d"), { dataDir })).toBeInstanceOf(NotFoundError);
    await expectEmptyCache(dataDir);
  });

  test("a text file that is no disk image is an ImageError", async () => {
    const dir = await tempDir();
    const path = join(dir, "notes.txt");
    await writeFile(path, text);
    const dataDir = join(dir, "data");
    const error = await failure(path, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });

  test("an image with a backing file is an ImageError", async () => {
    const dir = await tempDir();
    const path = join(dir, "overlay.qcow2");
    await writeFile(path, overlay);
    const dataDir = join(dir, "data");
    expect(await failure(path, { dataDir })).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });
});
