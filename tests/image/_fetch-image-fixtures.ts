/**
 * Fixtures shared by the fetchImage tests (fetch-image-http, fetch-image-local): disk images
 * made by the real qemu-img and the non-images a mirror might send, a fetch that must fail,
 * and the check that a failure left the cache empty.
 */
import { beforeAll, expect } from "bun:test";
import { join } from "node:path";
import type { TestcloudError } from "../../lib/errors.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { createImage, listDir, requireTool, useTempDirs } from "../_helpers.ts";
import { blobsDir, failure as settledFailure, images } from "./_cache-helpers.ts";

// Set before each test file's tests by useFetchFixtures().
export let qcow2: Uint8Array<ArrayBuffer>;
export let overlay: Uint8Array<ArrayBuffer>;
export let vmdk: Uint8Array<ArrayBuffer>;
export let rawDisk: Uint8Array<ArrayBuffer>;
// Random printable text: what a mirror's error page or a wrong link might return.
export const text = new TextEncoder().encode(
  Array.from({ length: 4000 }, (_, i) => "lorem ipsum dolor sit amet "[(i * 7919) % 27]).join("") + "\n",
);
export const HTML = "<!DOCTYPE html>\n<html><head><title>Mirror</title></head><body>Not here</body></html>\n";

/** Makes the images before the calling file's tests, in a temp dir removed after them. */
export function useFetchFixtures(): void {
  const fixtureDir = useTempDirs("all");
  beforeAll(async () => {
    requireTool("qemu-img", "qemu-utils");
    const dir = await fixtureDir();
    qcow2 = await Bun.file(await createImage(join(dir, "tiny.qcow2"), { size: 2 << 20 })).bytes();
    overlay = await Bun.file(await createImage(join(dir, "overlay.qcow2"), { backing: join(dir, "tiny.qcow2") })).bytes();
    vmdk = await Bun.file(await createImage(join(dir, "tiny.vmdk"), { format: "vmdk" })).bytes();
    // A raw disk as a bootable image has one: an MBR signature at the end of sector 0.
    rawDisk = new Uint8Array(1 << 20);
    rawDisk.set([0x55, 0xaa], 510);
  });
}

/** Runs a fetch that must fail (retrying fast) and returns its error. */
export async function failure(
  ref: string,
  { dataDir, ...options }: Partial<Parameters<typeof fetchImage>[1]> & { dataDir: string },
): Promise<TestcloudError> {
  return settledFailure(fetchImage(ref, { retryDelayMs: 5, imageDir: images(dataDir), ...options }));
}

/** The cache holds no blob and no temp file. */
export async function expectEmptyCache(dataDir: string): Promise<void> {
  expect(await listDir(blobsDir(dataDir))).toEqual([]);
}
