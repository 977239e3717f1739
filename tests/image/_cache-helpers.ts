/** Assertions about the image cache shared by the image-store tests. */
import { expect } from "bun:test";
import { join } from "node:path";
import { TestcloudError } from "../../lib/errors.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { listDir } from "../_helpers.ts";

export const images = (dataDir: string) => join(dataDir, "images");
export const blobsDir = (dataDir: string) => join(dataDir, "images", "blobs");
export const partialDir = (dataDir: string) => join(dataDir, "images", "partial");

/** Awaits an operation that must fail with a TestcloudError and returns the error. */
export async function failure(operation: Promise<unknown>): Promise<TestcloudError> {
  const result = await operation.then(
    (value) => value,
    (error: unknown) => error,
  );
  expect(result).toBeInstanceOf(TestcloudError);
  return result as TestcloudError;
}

/** The error is one line that names `what`, with this code and exit code. */
export function expectError(error: TestcloudError, code: string, exitCode: number, what: string): void {
  expect({ code: error.code, exitCode: error.exitCode }).toEqual({ code, exitCode });
  expect(error.message).not.toContain("\n");
  expect(error.message).toContain(what);
}

/** No image is visible: no blob, nothing listed, no temp file. Partial downloads may remain. */
export async function expectNoImage(dataDir: string): Promise<void> {
  expect(await listDir(blobsDir(dataDir))).toEqual([]);
  expect(listImages(images(dataDir))).toEqual([]);
  expect(await listDir(join(images(dataDir), "tmp"))).toEqual([]);
}

/** Names of the resumable downloads in the cache. */
export async function partials(dataDir: string): Promise<string[]> {
  return (await listDir(partialDir(dataDir))).filter((name) => name.endsWith(".partial"));
}
