import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { InterruptedError } from "../errors.ts";

/**
 * A lock held by this process on one source of the image cache.
 *
 * It is an open SQLite transaction (BEGIN EXCLUSIVE) on a lock file of its own, so the
 * mutual exclusion is SQLite's POSIX record lock: the kernel drops it the moment the holder
 * dies, kill -9 included, and a waiter takes over at its next poll. No heartbeat to tune,
 * no stale-pid guessing (which breaks across pid namespaces). Within one process SQLite
 * tracks the lock per inode, so two fetches in one process exclude each other as well.
 */
export interface SourceLock {
  release(): void;
}

// Every held lock, strongly referenced: a Database that is garbage-collected is closed,
// and closing it would silently drop the lock in the middle of a download.
const held = new Set<Database>();

/** Takes the lock if it is free; null when another process (or fetch) holds it. */
export function tryLock(path: string): SourceLock | null {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true });
  try {
    db.run("PRAGMA busy_timeout = 0");
    db.run("BEGIN EXCLUSIVE");
  } catch (error) {
    db.close();
    if (/locked|busy/i.test((error as Error).message)) return null;
    throw error;
  }
  held.add(db);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      held.delete(db);
      db.run("ROLLBACK");
      db.close();
    },
  };
}

export interface LockOptions {
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
    if (options.signal?.aborted) throw new InterruptedError("Interrupted while waiting for another download");
    const lock = tryLock(path);
    if (lock) return lock;
    if (!waited) options.onWait?.();
    waited = true;
    await Bun.sleep(options.pollMs ?? 200);
  }
}
