/**
 * The source lock: an exclusive SQLite transaction on a lock file, i.e. a POSIX record lock
 * the kernel releases when its holder dies. Tested across real processes.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { InterruptedError } from "../../lib/errors.ts";
import { acquireLock, tryLock } from "../../lib/image/_lock.ts";
import { useTempDirs } from "../_helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const tempDir = useTempDirs();

/** Another process that takes the lock, says "held" and keeps it until killed. */
async function holder(path: string) {
  const script = `import { tryLock } from ${JSON.stringify(join(ROOT, "lib/image/_lock.ts"))};
    const lock = tryLock(${JSON.stringify(path)}); console.log(lock ? "held" : "busy"); setInterval(() => {}, 1000);`;
  const proc = Bun.spawn([BUN, "-e", script], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  return { proc, said: first.trim() };
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
