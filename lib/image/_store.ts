import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ImageError, InterruptedError } from "../errors.ts";
import { imageInfo } from "../host/qemu-img.ts";
import type { Runner } from "../host/run.ts";
import { blobPath, type CachePaths } from "./_cache-paths.ts";
import { decompress, sniffCompression } from "./_decompress.ts";
import type { ImageIndex, SourceRow } from "./_index.ts";
import type { CachedImage } from "./fetch-image.ts";
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
  /** Given by the user: of the file as downloaded or of the image after decompression. */
  sha256?: string;
}

export interface CommitContext {
  paths: CachePaths;
  index: ImageIndex;
  source: Omit<SourceRow, "digest" | "fetchedAt" | "fetchedSha256" | "checksum">;
  expected: Expected;
  run?: Runner;
  signal?: AbortSignal;
  onProgress?: (progress: ImageProgress) => void;
}

/**
 * Verifies staged bytes, decompresses them, checks that they are a usable disk image and
 * publishes the result as `blobs/sha256-<digest>` (fsync, then rename) with its index rows.
 * Consumes `staged`: on success it becomes the blob or is deleted; on failure it is deleted.
 */
export async function commitImage(staged: Staged, context: CommitContext): Promise<CachedImage> {
  const { paths, source } = context;
  sweepTmp(paths.tmp);
  const consumed = [staged.path, ...(staged.companions ?? [])];
  const made: string[] = [];
  try {
    const checksum = verifyPublished(staged, context.expected, source.source);
    let image = { path: staged.path, sha256: staged.sha256 };
    const compression = await sniffCompression(staged.path);
    if (compression) {
      const tmp = tmpFile(paths);
      made.push(tmp);
      const out = await decompress(staged.path, tmp, compression, { ...context, source: source.source });
      image = { path: tmp, sha256: out.sha256 };
    }
    verifyUserDigest(context.expected.sha256, staged.sha256, image.sha256, source.source);
    const format = await checkFormat(image.path, source.source, context.run);
    const path = publish(image.path, blobPath(paths, image.sha256));
    const size = statSync(path).size;
    context.index.record({ digest: image.sha256, format, size, path }, { ...source, checksum, fetchedSha256: staged.sha256 });
    made.push(...consumed);
    return { source: source.source, digest: image.sha256, format, size, path, cached: false };
  } catch (error) {
    if (!(error instanceof InterruptedError && staged.keepOnInterrupt)) made.push(...consumed);
    throw error;
  } finally {
    // The staged file may have become the blob by rename: then removing its old name is a no-op.
    for (const file of made) rmSync(file, { force: true });
  }
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

/** Only qcow2 and raw disks without a backing file make a base for overlays. */
async function checkFormat(path: string, source: string, run?: Runner): Promise<string> {
  const info = await imageInfo(path, run);
  if (info.backingFile) throw new ImageError(`Image has a backing file: "${source}"`, { code: "E_IMAGE_FORMAT" });
  if (info.format !== "qcow2" && info.format !== "raw") {
    throw new ImageError(`Unsupported image format: "${info.format}" in "${source}"`, { code: "E_IMAGE_FORMAT" });
  }
  if (info.format === "raw" && !(await hasPartitionTable(path))) {
    throw new ImageError(`Not a disk image: "${source}": no qcow2 header and no partition table`, { code: "E_NOT_AN_IMAGE" });
  }
  return info.format;
}

/** qemu-img calls any file "raw"; a bootable raw disk has an MBR (or GPT's protective MBR). */
async function hasPartitionTable(path: string): Promise<boolean> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 512).arrayBuffer());
  return head.length === 512 && head[510] === 0x55 && head[511] === 0xaa;
}

/** Moves a verified file to its blob path; an existing blob of that digest is kept as is. */
function publish(file: string, blob: string): string {
  mkdirSync(join(blob, ".."), { recursive: true });
  // Same digest, same bytes: keep the old inode, which running VMs may have open.
  if (statSync(blob, { throwIfNoEntry: false })?.isFile()) {
    rmSync(file, { force: true });
    return blob;
  }
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(file, blob);
  fsyncDir(join(blob, ".."));
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
    const idle = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 600_000;
    if (pid && idle && !alive(pid)) rmSync(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
