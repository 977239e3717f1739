import { basename, dirname } from "./posix-path.ts";

// Bun.file's lastModified is a stat(2) that blocks (no worker thread, unlike stat() and
// text(), whose first use costs ~2.5 ms); when stat fails Bun leaves its "unknown" value.
const STAT_FAILED = 2 ** 52 - 1;

/** True when stat(2) of `path` succeeds. */
function statable(path: string): boolean {
  return Bun.file(path).lastModified !== STAT_FAILED;
}

/**
 * True when stat(2) of `path` fails with ENOENT: nothing is there, or a symlink to nothing.
 * Known without node:fs, whose first load costs start-up time, and so kept for the usual
 * case of start-up: a config file or data dir that does not exist. Other failures (a
 * parent that is a file or that we may not search) are false, for the caller's full check
 * to name them. A symlink whose target cannot be reached for another reason reads as
 * missing too: nothing can be read through it either.
 */
export function nothingAt(path: string): boolean {
  if (statable(path)) return false;
  // A name too long is ENAMETOOLONG, not ENOENT.
  if (Buffer.byteLength(basename(path)) > 255 || Buffer.byteLength(path) >= 4096) return false;
  const parent = dirname(path);
  if (parent === path) return false;
  // "parent/." resolves only when the parent is a directory we may search: then the
  // failure is the entry's own. Otherwise the parent's failure is the path's.
  return statable(`${parent}/.`) || nothingAt(parent);
}
