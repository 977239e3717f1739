import { readFileSync } from "node:fs";
import type { CopyIo } from "./_copy-types.ts";

/** Progress of one source: onProgress at most every 100 ms, and always for the last event. */
export function progressReporter(io: CopyIo, source: string, total: number) {
  let bytes = 0;
  let last = -Infinity;
  const report = () => {
    if (!io.onProgress || performance.now() - last < 100) return;
    last = performance.now();
    io.onProgress({ source, bytes: Math.min(bytes, total), total, done: false });
  };
  return {
    add(n: number) {
      bytes += n;
      report();
    },
    set(n: number) {
      bytes = n;
      report();
    },
    done() {
      io.onProgress?.({ source, bytes: total, total, done: true });
    },
  };
}

/**
 * Runs `work` while polling `read` (bytes so far, from a file ssh reads or writes itself)
 * every 100 ms. Past `limit` it calls `stop`: a guest that sends more than it announced
 * must not fill the host's disk.
 */
export async function watchBytes<T>(work: Promise<T>, read: () => number, onBytes: (n: number) => void, limit = Infinity, stop = () => {}): Promise<T> {
  const timer = setInterval(() => {
    const bytes = read();
    onBytes(bytes);
    if (bytes > limit) stop();
  }, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** The read offset of an open file, shared with the child that inherited the descriptor. */
export function fileOffset(fd: number): number {
  return Number(/^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1] ?? 0);
}
