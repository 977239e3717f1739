import { closeSync, createReadStream, rmSync } from "node:fs";
import { stat } from "node:fs/promises";
import { InterruptedError, NotFoundError } from "../errors.ts";
import { createExclusive, writeAll } from "./_cache-files.ts";
import { sourceFiles } from "./_cache-paths.ts";
import { spaceGuard } from "./_disk-space.ts";
import { cachedCopy, reuse, type Cache } from "./_fetch-url.ts";
import { acquireLock } from "./_lock.ts";
import { checksumMismatch, commitImage, tmpFile } from "./_store.ts";
import type { CachedImage, FetchOptions } from "./_types.ts";

/**
 * Copies a local image into the cache (the cache owns immutable copies: the user may edit
 * or delete the original). A file whose size and mtime are unchanged is not read again.
 */
export async function fetchFile(path: string, sha256: string | undefined, cache: Cache, options: FetchOptions): Promise<CachedImage> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    throw new NotFoundError(`Image file not found: "${path}"`, { code: "E_IMAGE_NOT_FOUND" });
  }
  const source = `file://${path}`;
  const fingerprint = `${info.size}:${info.mtimeMs}`;
  const unchanged = () => {
    const hit = cachedCopy(cache, source);
    return hit?.row.fingerprint === fingerprint ? hit : null;
  };
  const hit = unchanged();
  if (hit) {
    if (sha256 && hit.row.fetchedSha256 !== sha256 && hit.row.digest !== sha256) {
      throw checksumMismatch(source, "sha256", sha256, hit.row.fetchedSha256);
    }
    return reuse(cache, hit, Boolean(sha256));
  }
  const lock = await acquireLock(sourceFiles(cache.paths, source).lock, { signal: options.signal });
  try {
    const again = unchanged();
    if (again && !sha256) return reuse(cache, again);
    const tmp = tmpFile(cache.paths);
    const digest = await copy(path, tmp, source, options).catch((error: unknown) => {
      rmSync(tmp, { force: true });
      throw error;
    });
    return await commitImage(
      { path: tmp, sha256: digest, sha512: null },
      {
        ...cache,
        source: { source, fingerprint, etag: null, lastModified: null, length: info.size },
        expected: { checksum: null, sha256 },
        run: options.run,
        signal: options.signal,
        onProgress: options.onProgress,
        maxImageSize: options.maxImageSize,
        minFreeSpace: options.minFreeSpace,
      },
    );
  } finally {
    lock.release({ unlink: true });
  }
}

async function copy(from: string, to: string, source: string, options: FetchOptions): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = createExclusive(to);
  const checkSpace = spaceGuard(to, options.minFreeSpace);
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(from, { highWaterMark: 1 << 20, signal: options.signal })) {
      const data = chunk as Buffer;
      writeAll(fd, to, data);
      hasher.update(data);
      bytes += data.byteLength;
      checkSpace(bytes);
      options.onProgress?.({ phase: "copy", source, bytes, resumedFrom: 0, done: false });
    }
  } catch (error) {
    if (options.signal?.aborted) throw new InterruptedError("Interrupted while copying the image");
    throw error;
  } finally {
    closeSync(fd);
  }
  options.onProgress?.({ phase: "copy", source, bytes, total: bytes, resumedFrom: 0, done: true });
  return hasher.digest("hex");
}
