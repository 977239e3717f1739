import { closeSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "../host/posix-path.ts";
import { processAlive } from "../host/process-alive.ts";
import { ImageError, InterruptedError } from "../errors.ts";
import type { Runner } from "../host/run.ts";
import { notOurs, openOwnFile, unsafe } from "./_cache-files.ts";
import { blobPath, type CachePaths } from "./_cache-paths.ts";
import { decompress, sniffCompression } from "./_decompress.ts";
import type { ImageIndex, SourceRow } from "./_index.ts";
import { checkImageFile } from "./check-image-file.ts";
import type { CachedImage } from "./_types.ts";
import type { ImageProgress } from "./progress.ts";

/** Bytes fetched into a file of our own (a finished partial download or a copy), with their digests. */
export interface Staged {
  path: string;
  sha256: string;
  sha512: string | null;
  /** Other files to delete once `path` is consumed, e.g. the partial's metadata. */
  companions?: string[];
  /** Keep `path` when interrupted: a finished download is worth decompressing later. */
  keepOnInterrupt?: boolean;
}

/** What the fetched bytes must hash to. */
export interface Expected {
  /** Published by the distro, of the file as downloaded. */
  checksum: { algorithm: "sha256" | "sha512"; value: string } | null;
  /** The checksum was read over plain http from another host: it is checked, but proves nothing. */
  checksumInsecure?: boolean;
  /** Given by the user: of the file as downloaded or of the image after decompression. */
  sha256?: string;
}

export interface CommitContext {
  paths: CachePaths;
  index: ImageIndex;
  source: Omit<SourceRow, "digest" | "fetchedAt" | "fetchedSha256" | "checksum" | "verified">;
  expected: Expected;
  run?: Runner;
  signal?: AbortSignal;
  onProgress?: (progress: ImageProgress) => void;
  /** Most bytes a compressed image may expand to (lib/image/_decompress.ts). */
  maxImageSize?: number;
  /** Free bytes to leave on the cache's file system (lib/image/_disk-space.ts). */
  minFreeSpace?: number;
}

/**
 * Verifies staged bytes, decompresses them, checks that they are a usable, self-contained
 * disk image and publishes the result as `blobs/sha256-<digest>` (fsync, then rename) with
 * its index rows. Consumes `staged`: on success it becomes the blob or is deleted; on
 * failure it is deleted.
 */
export async function commitImage(staged: Staged, context: CommitContext): Promise<CachedImage> {
  const { paths, source } = context;
  sweepTmp(paths.tmp);
  const consumed = [staged.path, ...(staged.companions ?? [])];
  const made: string[] = [];
  try {
    // Nothing is read through a link or from a file someone else put in our place.
    closeSync(openOwnFile(staged.path));
    const checksum = verifyPublished(staged, context.expected, source.source);
    let image = { path: staged.path, sha256: staged.sha256 };
    const compression = await sniffCompression(staged.path);
    if (compression) {
      const tmp = tmpFile(paths);
      made.push(tmp);
      const { signal, onProgress, maxImageSize: maxBytes, minFreeSpace } = context;
      const out = await decompress(staged.path, tmp, compression, { source: source.source, signal, onProgress, maxBytes, minFreeSpace });
      image = { path: tmp, sha256: out.sha256 };
    }
    verifyUserDigest(context.expected.sha256, staged.sha256, image.sha256, source.source);
    const { format } = await checkImageFile(image.path, context.run, { source: source.source });
    const path = publish(image.path, blobPath(paths, image.sha256));
    const size = lstatSync(path).size;
    const verified = isVerified(context.expected);
    context.index.record({ digest: image.sha256, format, size, path }, { ...source, checksum, fetchedSha256: staged.sha256, verified });
    made.push(...consumed);
    return { source: source.source, digest: image.sha256, format, size, path, cached: false, verified };
  } catch (error) {
    if (!(error instanceof InterruptedError && staged.keepOnInterrupt)) made.push(...consumed);
    throw error;
  } finally {
    // The staged file may have become the blob by rename: then removing its old name is a no-op.
    for (const file of made) rmSync(file, { force: true });
  }
}

/**
 * Whether bytes that passed the checks were verified: against the user's --sha256, or
 * against a published checksum that did not come over plain http from another host.
 */
export function isVerified(expected: Expected): boolean {
  return Boolean(expected.sha256) || (expected.checksum !== null && !expected.checksumInsecure);
}

/** A fresh temp file path, named after our pid so a later run can sweep it if we die. */
export function tmpFile(paths: CachePaths): string {
  mkdirSync(paths.tmp, { recursive: true });
  return join(paths.tmp, `.tmp-${process.pid}-${crypto.randomUUID()}`);
}

/** Checks the distro's checksum of the downloaded bytes; returns it as "algorithm:hex" for the index. */
function verifyPublished(staged: Staged, expected: Expected, source: string): string | null {
  const published = expected.checksum;
  if (!published) return expected.sha256 ? `sha256:${expected.sha256}` : null;
  const actual = published.algorithm === "sha256" ? staged.sha256 : staged.sha512;
  if (actual === null) throw new Error(`sha512 of "${source}" was not computed`);
  if (actual !== published.value) throw checksumMismatch(source, published.algorithm, published.value, actual);
  return `${published.algorithm}:${published.value}`;
}

function verifyUserDigest(expected: string | undefined, fetched: string, image: string, source: string): void {
  if (expected && expected !== fetched && expected !== image) throw checksumMismatch(source, "sha256", expected, fetched);
}

/** The fetched bytes are not the ones the checksum names. */
export function checksumMismatch(source: string, algorithm: string, expected: string, actual: string): ImageError {
  return new ImageError(`Checksum mismatch: "${source}": expected ${algorithm} ${expected}, got ${actual}`, {
    code: "E_CHECKSUM_MISMATCH",
    hint: "nothing was cached; if the mirror is mid-sync, try again later or pick another mirror",
  });
}

/**
 * Moves a verified file of ours to its blob path; an existing blob of that digest is kept
 * as is. rename() moves whatever has the name at that moment, so the blob is checked to be
 * the very file that was verified, and removed if it is not.
 */
function publish(file: string, blob: string): string {
  mkdirSync(dirname(blob), { recursive: true });
  const fd = openOwnFile(file);
  try {
    const existing = lstatSync(blob, { throwIfNoEntry: false });
    // Same digest, same bytes: keep the old inode, which running VMs may have open.
    if (existing && !notOurs(existing)) {
      rmSync(file, { force: true });
      return blob;
    }
    fsyncSync(fd);
    const ours = fstatSync(fd);
    renameSync(file, blob);
    const moved = lstatSync(blob);
    if (moved.ino !== ours.ino || moved.dev !== ours.dev) {
      rmSync(blob, { force: true });
      throw unsafe(file, "it was replaced while being stored");
    }
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(blob));
  return blob;
}

/** Makes a rename durable: the directory entry is data too. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Deletes temp files left by processes that died (kill -9, power loss). */
function sweepTmp(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^\.tmp-(\d+)-/.exec(name)?.[1]);
    const path = join(dir, name);
    // A dead pid alone is not proof across pid namespaces; a file nobody wrote for 10 min is.
    const idle = Date.now() - (lstatSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 600_000;
    if (pid && idle && !processAlive(pid)) rmSync(path, { force: true });
  }
}

