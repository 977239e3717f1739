import { lstatSync } from "node:fs";
import { ImageError, NotFoundError } from "../errors.ts";
import { sourceFiles, type CachePaths, type SourceFiles } from "./_cache-paths.ts";
import { download } from "./_download.ts";
import type { BlobRow, ImageIndex, SourceRow } from "./_index.ts";
import { acquireLock } from "./_lock.ts";
import { checksumMismatch, commitImage, isVerified, type Expected } from "./_store.ts";
import type { CachedImage, FetchOptions } from "./_types.ts";

/** The open cache a fetch works on. */
export interface Cache {
  paths: CachePaths;
  index: ImageIndex;
}

/** A source the index knows whose blob is still on disk. */
export interface Hit {
  row: SourceRow;
  blob: BlobRow;
}

/**
 * Gets `url` into the cache: reused without a request when a checksum vouches for the
 * cached copy, revalidated with a conditional GET otherwise, downloaded (or resumed) under
 * the source's lock when new or changed, so concurrent processes download it once.
 */
export async function fetchUrl(url: string, expected: Expected, cache: Cache, options: FetchOptions): Promise<CachedImage> {
  const hit = cachedCopy(cache, url);
  if (hit && vouched(hit.row, expected)) return reuse(cache, hit, isVerified(expected));
  if (options.offline) {
    if (!hit) throw notCached(url);
    if (expected.sha256) throw checksumMismatch(url, "sha256", expected.sha256, hit.row.fetchedSha256);
    return reuse(cache, hit);
  }
  const files = sourceFiles(cache.paths, url);
  const lock = await acquireLock(files.lock, {
    signal: options.signal,
    onWait: () => options.log?.(`Waiting for another testcloud process to finish downloading ${url}`),
  });
  try {
    const again = cachedCopy(cache, url);
    // Fetched or confirmed by another process while we waited for the lock: use its work.
    if (again && vouched(again.row, expected)) return reuse(cache, again, isVerified(expected));
    if (again && again.row.fetchedAt !== hit?.row.fetchedAt) return reuse(cache, again);
    return await downloadAndCommit(url, files, expected, again, cache, options, true);
  } finally {
    // A partial download left for a resume needs no lock file: the next fetch makes one.
    lock.release({ unlink: true });
  }
}

async function downloadAndCommit(
  url: string,
  files: SourceFiles,
  expected: Expected,
  hit: Hit | null,
  cache: Cache,
  options: FetchOptions,
  mayRetry: boolean,
): Promise<CachedImage> {
  // A conditional request only when nothing else says which bytes are right.
  const ifChanged = hit && !expected.checksum && !expected.sha256 ? hit.row : undefined;
  const result = await download(url, files, {
    ...options,
    sha512: expected.checksum?.algorithm === "sha512",
    verified: Boolean(expected.checksum || expected.sha256),
    ifChanged,
  });
  if (result.status === "unchanged") {
    cache.index.confirm(url, hit!.blob.digest);
    return { ...image(url, hit!.blob), cached: true, verified: hit!.row.verified };
  }
  await result.part.close();
  const staged = { path: files.data, sha256: result.sha256, sha512: result.sha512, companions: [files.meta], keepOnInterrupt: true };
  const source = { source: url, fingerprint: "", ...result.validators };
  try {
    const { run, signal, onProgress, maxImageSize, minFreeSpace } = options;
    return await commitImage(staged, { ...cache, source, expected, run, signal, onProgress, maxImageSize, minFreeSpace });
  } catch (error) {
    // A resumed file may splice two upstream versions; one fresh download settles it.
    if (mayRetry && result.resumedFrom > 0 && error instanceof ImageError && error.code === "E_CHECKSUM_MISMATCH") {
      options.log?.(`Checksum mismatch after resuming ${url}; downloading it again from the start`);
      return downloadAndCommit(url, files, expected, hit, cache, options, false);
    }
    throw error;
  }
}

/** The cached copy of a source, if its row and its file are both still there. */
export function cachedCopy(cache: Cache, source: string): Hit | null {
  const row = cache.index.source(source);
  const blob = row ? cache.index.blob(row.digest) : null;
  if (!row || !blob || !blobOnDisk(blob)) return null;
  return { row, blob };
}

/** The blob's file is there, whole, and a file: a link at a blob's name is never followed. */
export function blobOnDisk(blob: BlobRow): boolean {
  const stats = lstatSync(blob.path, { throwIfNoEntry: false });
  return stats !== undefined && stats.isFile() && stats.size === blob.size;
}

/** A checksum that matches the cached copy proves it is the wanted file: no need to ask. */
function vouched(row: SourceRow, expected: Expected): boolean {
  if (expected.checksum) return row.checksum === `${expected.checksum.algorithm}:${expected.checksum.value}`;
  if (expected.sha256) return row.fetchedSha256 === expected.sha256 || row.digest === expected.sha256;
  return false;
}

/** The cached copy, used again; `verifiedNow`: a trusted digest has just vouched for it. */
export function reuse(cache: Cache, hit: Hit, verifiedNow = false): CachedImage {
  cache.index.touch(hit.blob.digest);
  if (verifiedNow && !hit.row.verified) cache.index.markVerified(hit.row.source);
  return { ...image(hit.row.source, hit.blob), cached: true, verified: hit.row.verified || verifiedNow };
}

function image(source: string, blob: BlobRow): Omit<CachedImage, "cached" | "verified"> {
  return { source, digest: blob.digest, format: blob.format, size: blob.size, path: blob.path };
}

/** --offline and the image is not in the cache. */
export function notCached(what: string, ref = what): NotFoundError {
  return new NotFoundError(`Image not cached: "${what}": offline mode does not download`, {
    code: "E_NOT_CACHED",
    // --no-offline: offline may come from the config or TESTCLOUD_OFFLINE, not just a flag.
    hint: `testcloud image pull --no-offline ${ref}`,
  });
}
