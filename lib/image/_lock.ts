import { Database } from "bun:sqlite";
import { closeSync, constants, fstatSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname } from "../host/posix-path.ts";
import { InterruptedError } from "../errors.ts";
import { openDatabase, openOrReplace, sqliteBusy } from "./_cache-files.ts";

/**
 * A lock held by this process on a lock file of the image cache: a source being fetched,
 * or an image's use lease (lib/image/_cache-paths.ts).
 *
 * It is an open SQLite transaction on a lock file of its own, so the mutual exclusion is
 * SQLite's POSIX record lock: the kernel drops it the moment the holder dies, kill -9
 * included, and a waiter takes over at its next poll. No heartbeat to tune, no stale-pid
 * guessing (which breaks across pid namespaces). Within one process SQLite tracks the lock
 * per inode, so two connections in one process exclude each other as well.
 */
export interface SourceLock {
  /** Lets go; with `unlink` (exclusive holders only) the lock file is deleted first, so none is left behind. */
  release(options?: { unlink?: boolean }): void;
}

/**
 * "exclusive": BEGIN EXCLUSIVE, one holder. "shared": BEGIN and a read, which takes
 * SQLite's SHARED lock and keeps it until the transaction ends; any number of shared
 * holders, and none while an exclusive one holds it. That needs the rollback journal
 * (in WAL mode readers do not block BEGIN EXCLUSIVE): a lock file is never written, stays
 * empty, and an empty database is in rollback-journal mode.
 */
export type LockMode = "exclusive" | "shared";

// Every held lock, strongly referenced: a Database that is garbage-collected is closed,
// and closing it would silently drop the lock in the middle of a download.
const held = new Set<Database>();

/** Takes the lock if it is free; null when another process (or connection) holds it. */
export function tryLock(path: string, mode: LockMode = "exclusive"): SourceLock | null {
  // A holder may delete the file as it releases (see release): a lock taken on that
  // orphaned inode would exclude nobody. So the name must point at the same file before
  // SQLite opens it and once the lock is held: an unlinked file never comes back, so
  // then SQLite opened and locked that very file.
  for (let attempt = 0; ; attempt++) {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openOrReplace(path, constants.O_RDONLY);
    const before = fstatSync(fd).ino;
    closeSync(fd);
    const db = begin(path, mode);
    if (!db) return null;
    if (statSync(path, { throwIfNoEntry: false })?.ino === before) return holding(db, path, mode);
    db.run("ROLLBACK");
    db.close();
    // Each retry means another process took and let go of the lock meanwhile.
    if (attempt >= 1000) throw new Error(`tryLock: "${path}" keeps being replaced`);
  }
}

function begin(path: string, mode: LockMode): Database | null {
  // A link planted at a lock's name is replaced, not followed: the lock file has no content.
  const db = openDatabase(path, { replaceLink: true });
  try {
    db.run("PRAGMA busy_timeout = 0");
    // No -journal file beside a lock: a holder deletes the lock file as it lets go, and a
    // journal left behind would look "hot" to the next process that opens the name.
    db.run("PRAGMA journal_mode = MEMORY");
    if (mode === "exclusive") {
      db.run("BEGIN EXCLUSIVE");
    } else {
      db.run("BEGIN");
      db.query("SELECT count(*) FROM sqlite_master").get();
    }
    return db;
  } catch (error) {
    db.close();
    if (sqliteBusy(error)) return null;
    throw error;
  }
}

function holding(db: Database, path: string, mode: LockMode): SourceLock {
  held.add(db);
  let released = false;
  return {
    release(options = {}) {
      if (released) return;
      released = true;
      held.delete(db);
      // Only an exclusive holder may delete: nobody else holds this inode, and whoever
      // opened it meanwhile finds the name gone or new once they get it (tryLock).
      if (options.unlink && mode === "exclusive") rmSync(path, { force: true });
      db.run("ROLLBACK");
      db.close();
    },
  };
}

export interface LockOptions {
  mode?: LockMode;
  signal?: AbortSignal;
  /** How often a waiter tries again; default 200 ms. */
  pollMs?: number;
  /** Called once when the lock is busy, before waiting. */
  onWait?: () => void;
}

/** Waits until the lock is free and takes it. Never times out: a dead holder frees it. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<SourceLock> {
  let waited = false;
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError(`Interrupted while waiting for ${waitingFor(options.mode)}`);
    const lock = tryLock(path, options.mode);
    if (lock) return lock;
    if (!waited) options.onWait?.();
    waited = true;
    await Bun.sleep(options.pollMs ?? 200);
  }
}

function waitingFor(mode: LockMode = "exclusive"): string {
  return mode === "exclusive" ? "another download" : "another testcloud process to remove the image";
}
