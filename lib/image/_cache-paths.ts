import { join } from "../host/posix-path.ts";

/**
 * Layout of the image cache in `imageDir` (the imageDir setting; by default <data dir>/images).
 * Only `blobs/` holds images, each complete and verified, named by its sha256; unfinished work
 * lives in `partial/` and `tmp/`, so a crash never leaves a half-written file where a reader
 * (or `image list`) would take it for an image.
 */
export function cachePaths(imageDir: string) {
  const root = imageDir;
  return {
    root,
    blobs: join(root, "blobs"),
    /** Resumable downloads: `<key>.partial` plus `<key>.json` (URL and validators). */
    partial: join(root, "partial"),
    /** Decompression and copy outputs of a running process: `.tmp-<pid>-<uuid>`. */
    tmp: join(root, "tmp"),
    /** One lock file per source, held by the process fetching it, and one use lease per image. */
    locks: join(root, "locks"),
  };
}

export type CachePaths = ReturnType<typeof cachePaths>;

/** Path of the blob with this sha256. */
export function blobPath(paths: CachePaths, digest: string): string {
  return join(paths.blobs, `sha256-${digest}`);
}

/**
 * The use lease of the image with this sha256: held shared by each `create` from fetching
 * the image until its instance record names it, exclusively by whoever deletes the image.
 * Never deleted: a process may have it open, and a new file would not be the one it locks.
 */
export function leasePath(paths: CachePaths, digest: string): string {
  return join(paths.locks, `use-${digest}.lock`);
}

/** Files that belong to one source: its lock and, for a URL, its resumable download. */
export function sourceFiles(paths: CachePaths, source: string) {
  // A hash keeps any URL a safe, fixed-length file name.
  const key = new Bun.CryptoHasher("sha256").update(source).digest("hex").slice(0, 32);
  return {
    key,
    lock: join(paths.locks, `${key}.lock`),
    data: join(paths.partial, `${key}.partial`),
    meta: join(paths.partial, `${key}.json`),
  };
}

export type SourceFiles = ReturnType<typeof sourceFiles>;
