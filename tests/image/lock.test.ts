/**
 * The cache's locks: SQLite transactions on a lock file, i.e. POSIX record locks the kernel
 * releases when their holder dies. Exclusive (BEGIN EXCLUSIVE) for a source being fetched
 * or an image being deleted; shared (BEGIN and a read) for an image's use lease. Tested
 * across real processes.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { statSync } from "node:fs";
import { join } from "node:path";
import { InterruptedError } from "../../lib/errors.ts";
import { acquireLock, tryLock, type LockMode } from "../../lib/image/_lock.ts";
import { useTempDirs } from "../_helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const tempDir = useTempDirs();

/**
 * Another process that takes the lock, says "held" (or "busy"), and keeps it until killed
 * or told "release" on stdin, after which it says "released".
 */
async function holder(path: string, mode: LockMode = "exclusive") {
  const script = `import { tryLock } from ${JSON.stringify(join(ROOT, "lib/image/_lock.ts"))};
    const lock = tryLock(${JSON.stringify(path)}, ${JSON.stringify(mode)}); console.log(lock ? "held" : "busy");
    const alive = setInterval(() => {}, 1000);
    for await (const line of console) if (line === "release") { lock?.release(); console.log("released"); }
    clearInterval(alive);`;
  const proc = Bun.spawn([BUN, "-e", script], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const next = async () => new TextDecoder().decode((await reader.read()).value).trim();
  const said = await next();
  const release = async () => {
    proc.stdin.write("release\n");
    await proc.stdin.flush();
    return next();
  };
  return { proc, said, release };
}

async function kill(proc: Subprocess): Promise<void> {
  proc.kill("SIGKILL");
  await proc.exited;
}

describe("tryLock", () => {
  test("excludes a second holder in the same process until released", async () => {
    const path = join(await tempDir(), "locks", "a.lock");
    const first = tryLock(path);
    expect(first).not.toBeNull();
    expect(tryLock(path)).toBeNull();
    first!.release();
    const again = tryLock(path);
    expect(again).not.toBeNull();
    again!.release();
  });

  test("excludes another process, and is free the moment that process is killed with -9", async () => {
    const path = join(await tempDir(), "b.lock");
    const { proc, said } = await holder(path);
    try {
      expect(said).toBe("held");
      expect(tryLock(path)).toBeNull();
      Bun.gc(true); // the holder's lock must not depend on its GC either way; ours neither
      expect(tryLock(path)).toBeNull();
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    const lock = tryLock(path);
    expect(lock).not.toBeNull();
    lock!.release();
  });

  test("a lock held in this process survives garbage collection", async () => {
    const path = join(await tempDir(), "c.lock");
    const lock = tryLock(path);
    Bun.gc(true);
    const { proc, said } = await holder(path);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(said).toBe("busy");
    lock!.release();
  });
});

describe("acquireLock", () => {
  test("waits for the holder to release, telling onWait once", async () => {
    const path = join(await tempDir(), "d.lock");
    const first = tryLock(path)!;
    let waits = 0;
    setTimeout(() => first.release(), 150);
    const started = performance.now();
    const second = await acquireLock(path, { pollMs: 20, onWait: () => waits++ });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(waits).toBe(1);
    second.release();
  });

  test("stops waiting with an InterruptedError when aborted", async () => {
    const path = join(await tempDir(), "e.lock");
    const first = tryLock(path)!;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await acquireLock(path, { pollMs: 10, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    first.release();
  });
});

describe("tryLock shared", () => {
  test("shared holders coexist, in one process and across processes", async () => {
    const path = join(await tempDir(), "locks", "use-a.lock");
    const mine = tryLock(path, "shared");
    const again = tryLock(path, "shared");
    const other = await holder(path, "shared");
    try {
      expect([mine !== null, again !== null, other.said]).toEqual([true, true, "held"]);
    } finally {
      await kill(other.proc);
      mine?.release();
      again?.release();
    }
  });

  test("while another process holds it shared, BEGIN EXCLUSIVE fails at once; free once it releases", async () => {
    const path = join(await tempDir(), "use-b.lock");
    const other = await holder(path, "shared");
    try {
      expect(other.said).toBe("held");
      const started = performance.now();
      expect(tryLock(path)).toBeNull();
      expect(performance.now() - started).toBeLessThan(500);
      Bun.gc(true);
      expect(tryLock(path)).toBeNull();
      expect(await other.release()).toBe("released");
      const lock = tryLock(path);
      expect(lock).not.toBeNull();
      lock!.release();
    } finally {
      await kill(other.proc);
    }
  });

  test("with two shared holders in other processes, exclusive is free only when both are gone (kill -9)", async () => {
    const path = join(await tempDir(), "use-c.lock");
    const first = await holder(path, "shared");
    const second = await holder(path, "shared");
    try {
      expect([first.said, second.said]).toEqual(["held", "held"]);
      await kill(first.proc);
      expect(tryLock(path)).toBeNull();
      await kill(second.proc);
      const lock = tryLock(path);
      expect(lock).not.toBeNull();
      lock!.release();
    } finally {
      await kill(first.proc);
      await kill(second.proc);
    }
  });

  test("is refused while another process holds it exclusively, and acquireLock waits for that", async () => {
    const path = join(await tempDir(), "use-d.lock");
    const other = await holder(path, "exclusive");
    try {
      expect(other.said).toBe("held");
      expect(tryLock(path, "shared")).toBeNull();
      let waits = 0;
      const waiting = acquireLock(path, { mode: "shared", pollMs: 20, onWait: () => waits++ });
      await Bun.sleep(100);
      expect(await other.release()).toBe("released");
      (await waiting).release();
      expect(waits).toBe(1);
    } finally {
      await kill(other.proc);
    }
  });

  test("excludes an exclusive holder in this process too, and the other way round", async () => {
    const path = join(await tempDir(), "use-e.lock");
    const shared = tryLock(path, "shared")!;
    expect(tryLock(path)).toBeNull();
    shared.release();
    const exclusive = tryLock(path)!;
    expect(tryLock(path, "shared")).toBeNull();
    exclusive.release();
  });

  test("leaves the lock file empty, so in rollback-journal mode, where readers block BEGIN EXCLUSIVE", async () => {
    const path = join(await tempDir(), "use-f.lock");
    tryLock(path, "shared")!.release();
    tryLock(path)!.release();
    expect(statSync(path).size).toBe(0);
    const db = new Database(path);
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("delete");
    db.close();
  });
});
