import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { cachePaths, leasePath, type CachePaths } from "./_cache-paths.ts";
import { ImageIndex } from "./_index.ts";
import { tryLock, type SourceLock } from "./_lock.ts";
import { listImages, type ImageEntry } from "./list-images.ts";
import { deleteBlob, type ImageUsage, type RemovedImage, type UsageReader } from "./remove-image.ts";

export interface PruneOptions {
  /** Remove unused images not used for this long (ms). */
  olderThanMs?: number;
  /** Then remove the least recently used unused images until the cache is at most this big. */
  maxSize?: number;
  /** Reads which instances use which image; those are never removed. */
  usage?: UsageReader;
  now?: number;
}

export interface PruneResult {
  removed: Omit<RemovedImage, "instances">[];
  /** Image files the index did not know (left by a crash between forgetting and deleting). */
  orphans: { path: string; size: number }[];
  /** Abandoned resumable downloads that were deleted. */
  partials: { path: string; size: number }[];
  bytesFreed: number;
  /** Size of the images left in the cache. */
  bytesKept: number;
}

/**
 * Removes cached images no instance uses nor is being created from: all of them without
 * options; with options, those idle longer than `olderThanMs` and then the least recently
 * used beyond `maxSize`. Also deletes resumable downloads that no process is working on
 * (and are old enough).
 */
export async function pruneImages(imageDir: string, options: PruneOptions = {}): Promise<PruneResult> {
  const paths = cachePaths(imageDir);
  const result: PruneResult = { removed: [], orphans: [], partials: [], bytesFreed: 0, bytesKept: 0 };
  if (!existsSync(join(paths.root, "index.sqlite"))) return result;
  const now = options.now ?? Date.now();
  // A busy use lease means a create between fetching that image and writing its record.
  const leases = new Map<string, SourceLock>();
  const index = new ImageIndex(paths.root);
  try {
    for (const entry of listImages(imageDir)) {
      const lease = tryLock(leasePath(paths, entry.digest));
      if (lease) leases.set(entry.digest, lease);
    }
    // Read only with the leases held: a create writes its record before it lets go of its lease.
    const usage: ImageUsage = (await options.usage?.()) ?? new Map();
    const entries = listImages(imageDir, usage);
    const doomed = choose(entries, (e) => e.instances.length === 0 && leases.has(e.digest), options, now);
    for (const entry of doomed) result.removed.push(deleteBlob(index, entry));
    result.orphans = pruneOrphans(paths, index, usage, now);
    result.bytesKept = entries.filter((e) => !doomed.includes(e)).reduce((sum, e) => sum + e.size, 0);
  } finally {
    for (const [digest, lease] of leases) lease.release({ unlink: result.removed.some((r) => r.digest === digest) });
    index.close();
  }
  if (options.maxSize === undefined || options.olderThanMs !== undefined) {
    result.partials = prunePartials(paths, options.olderThanMs === undefined ? now : now - options.olderThanMs);
  }
  result.bytesFreed = [...result.removed, ...result.orphans, ...result.partials].reduce((sum, r) => sum + r.size, 0);
  return result;
}

function choose(entries: ImageEntry[], removable: (e: ImageEntry) => boolean, options: PruneOptions, now: number): ImageEntry[] {
  const unused = entries.filter(removable);
  if (options.olderThanMs === undefined && options.maxSize === undefined) return unused;
  const cutoff = options.olderThanMs === undefined ? -Infinity : now - options.olderThanMs;
  const doomed = unused.filter((e) => Date.parse(e.lastUsed) < cutoff);
  if (options.maxSize !== undefined) {
    let total = entries.filter((e) => !doomed.includes(e)).reduce((sum, e) => sum + e.size, 0);
    const lru = unused.filter((e) => !doomed.includes(e)).sort((a, b) => a.lastUsed.localeCompare(b.lastUsed));
    for (const entry of lru) {
      if (total <= options.maxSize) break;
      doomed.push(entry);
      total -= entry.size;
    }
  }
  return doomed;
}

/**
 * Deletes blob files the index does not list. A fetch publishes its blob (rename) a moment
 * before it records it, so only files renamed into place 10 minutes ago or more count.
 */
function pruneOrphans(paths: CachePaths, index: ImageIndex, usage: ImageUsage, now: number) {
  const removed: { path: string; size: number }[] = [];
  for (const name of existsSync(paths.blobs) ? readdirSync(paths.blobs) : []) {
    const digest = /^sha256-([0-9a-f]{64})$/.exec(name)?.[1];
    const path = join(paths.blobs, name);
    // lstat: a link planted here is removed itself, and its target neither measured nor touched.
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!digest || !info || index.blob(digest) || usage.has(digest) || now - info.ctimeMs < 600_000) continue;
    const lease = tryLock(leasePath(paths, digest));
    if (!lease) continue;
    try {
      rmSync(path, { force: true });
      removed.push({ path, size: info.size });
    } finally {
      lease.release({ unlink: true });
    }
  }
  return removed;
}

/** Deletes partial downloads last written before `cutoff` whose lock no process holds. */
function prunePartials(paths: CachePaths, cutoff: number): { path: string; size: number }[] {
  const removed: { path: string; size: number }[] = [];
  const names = existsSync(paths.partial) ? readdirSync(paths.partial) : [];
  for (const name of names.filter((n) => n.endsWith(".partial"))) {
    const key = name.slice(0, -".partial".length);
    const path = join(paths.partial, name);
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info || info.mtimeMs >= cutoff) continue;
    // The lock says whether a download is writing it right now.
    const lock = tryLock(join(paths.locks, `${key}.lock`));
    if (!lock) continue;
    try {
      rmSync(path, { force: true });
      rmSync(join(paths.partial, `${key}.json`), { force: true });
      removed.push({ path, size: info.size });
    } finally {
      lock.release({ unlink: true });
    }
  }
  return removed;
}
