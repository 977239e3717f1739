/**
 * Opening the cache's own files so that nothing planted in the cache redirects a write:
 * a symbolic link at a partial download's path once made `image pull` write into the
 * link's target and then store the link as an image. New files are created exclusively
 * (O_EXCL, which also refuses a dangling link), existing ones are opened without
 * following a link (O_NOFOLLOW) and must be regular files of ours with one name.
 */
import { Database, constants as sqlite } from "bun:sqlite";
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync, rmSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join } from "../host/posix-path.ts";
import { ImageError } from "../errors.ts";

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = constants;

/** Creates a new file for writing; fails if anything, a link included, has the name. */
export function createExclusive(path: string, flags = O_WRONLY): number {
  try {
    return openSync(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  } catch (error) {
    throw writeError(path, error);
  }
}

/** Creates a file of ours at `path`, first removing whatever has the name (a link is removed, not followed). */
export function createReplacing(path: string, flags = O_WRONLY): number {
  rmSync(path, { force: true });
  return createExclusive(path, flags);
}

/** Opens an existing file of ours; anything else at the path is an E_CACHE_UNSAFE error. */
export function openOwnFile(path: string, flags = O_RDONLY): number {
  let fd: number;
  try {
    fd = openSync(path, flags | O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw unsafe(path, "it is a symbolic link");
    throw error;
  }
  const why = notOurs(fstatSync(fd));
  if (why) {
    closeSync(fd);
    throw unsafe(path, why);
  }
  return fd;
}

/** Opens the file of ours at `path`, or replaces what is there (a link, another's file) with a new one. */
export function openOrReplace(path: string, flags: number): number {
  try {
    return openOwnFile(path, flags | O_CREAT);
  } catch (error) {
    if (!(error instanceof ImageError && error.code === "E_CACHE_UNSAFE")) throw writeError(path, error);
    return createReplacing(path, flags);
  }
}

/**
 * Opens (or creates) an SQLite file of the cache, refusing a link at its name: SQLite
 * would follow one. Its -wal, -shm and -journal companions SQLite opens without
 * following links already; a link planted there would only make the open fail, so it is
 * removed. With `replaceLink` a link at the name itself is removed too (lock files).
 */
export function openDatabase(path: string, options: { replaceLink?: boolean } = {}): Database {
  for (const suffix of ["-wal", "-shm", "-journal"]) removeLink(path + suffix);
  if (options.replaceLink) removeLink(path);
  // NOFOLLOW refuses a link anywhere in the path: resolve the directories, check the name.
  const real = join(realpathSync(dirname(path)), basename(path));
  try {
    return new Database(real, sqlite.SQLITE_OPEN_READWRITE | sqlite.SQLITE_OPEN_CREATE | sqlite.SQLITE_OPEN_NOFOLLOW);
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_CANTOPEN_SYMLINK") throw unsafe(path, "it is a symbolic link");
    throw error;
  }
}

/** SQLite could not get a lock another connection holds ("database is locked", SQLITE_BUSY). */
export function sqliteBusy(error: unknown): boolean {
  return /locked|busy/i.test((error as Error).message);
}

function removeLink(path: string): void {
  if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(path, { force: true });
}

/** Why a file is not one the cache may use as its own, or null when it is. */
export function notOurs(stats: Stats): string | null {
  if (stats.isSymbolicLink()) return "it is a symbolic link";
  if (!stats.isFile()) return "it is not a regular file";
  const uid = process.geteuid?.();
  if (uid !== undefined && stats.uid !== uid) return `it belongs to uid ${stats.uid}`;
  if (stats.nlink !== 1) return `it has ${stats.nlink} names (hard links)`;
  return null;
}

/** A file in the cache that testcloud did not make: refused, never followed. */
export function unsafe(path: string, why: string): ImageError {
  return new ImageError(`Refused a file in the image cache: "${path}": ${why}`, {
    code: "E_CACHE_UNSAFE",
    hint: "someone else can write to the image cache: make it writable by its owner only",
  });
}

/** Writes all of `chunk` at the descriptor's position; a failure is a writeError naming `path`. */
export function writeAll(fd: number, path: string, chunk: Uint8Array): void {
  try {
    for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done);
  } catch (error) {
    throw writeError(path, error);
  }
}

/** A write that failed; a full disk gets its own code, since the fix is to free space. */
export function writeError(path: string, error: unknown): ImageError {
  if (error instanceof ImageError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new ImageError(`No space left for the image cache: "${dirname(dirname(path))}"`, {
      code: "E_DISK_FULL",
      hint: "free space, or remove unused images: testcloud image prune",
      cause: error,
    });
  }
  return new ImageError(`Cannot write the image cache: "${path}": ${(error as Error).message}`, { cause: error });
}
