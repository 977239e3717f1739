import { readdirSync, rmSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { processAlive } from "../host/process-alive.ts";
import { cachePaths } from "./_cache-paths.ts";
import { tryLock } from "./_lock.ts";

/** A file of the image cache that `clean` removed. */
export interface CacheDebris {
  path: string;
  reason: string;
}

/**
 * Removes what killed processes left in the image cache: unfinished downloads nobody is
 * fetching (their source lock is free), temp files of processes that are gone, and lock
 * files nobody holds (not reported: they are made again on demand). The
 * next pull of such a source starts over instead of resuming; that is what `clean` is for.
 */
export function cleanImageCache(imageDir: string): CacheDebris[] {
  const paths = cachePaths(imageDir);
  const removed: CacheDebris[] = [];
  for (const name of entries(paths.partial)) {
    const key = /^([0-9a-f]{32})\.(partial|json)$/.exec(name)?.[1];
    if (!key) continue;
    // Held while a download runs; the kernel drops it when its holder dies.
    const lock = tryLock(join(paths.locks, `${key}.lock`));
    if (!lock) continue;
    try {
      rmSync(join(paths.partial, name), { force: true });
      removed.push({ path: join(paths.partial, name), reason: "unfinished download that no process is fetching" });
    } finally {
      lock.release({ unlink: true });
    }
  }
  // Lock files nobody holds are made again when needed (tryLock): not worth keeping.
  for (const name of entries(paths.locks).filter((n) => n.endsWith(".lock"))) {
    tryLock(join(paths.locks, name))?.release({ unlink: true });
  }
  for (const name of entries(paths.tmp)) {
    const pid = Number(/^\.tmp-(\d+)-/.exec(name)?.[1]);
    if (!pid || processAlive(pid)) continue;
    rmSync(join(paths.tmp, name), { force: true });
    removed.push({ path: join(paths.tmp, name), reason: `temp file of process ${pid}, which is gone` });
  }
  return removed;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
