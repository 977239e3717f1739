import { describe, expect, test } from "bun:test";
import { closeSync, constants, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ParallelHasher } from "../../lib/image/_hasher.ts";
import { useTempDirs } from "../_helpers.ts";
import { rawDisk, sha256, sha512 } from "./_image-server.ts";

const tempDir = useTempDirs();
const text = (s: string) => new TextEncoder().encode(s);

/** A file to write to: its O_APPEND descriptor and one with O_DIRECT, as PartialFile opens them. */
async function sinkFile(prefix = new Uint8Array(0)) {
  const path = join(await tempDir(), "file");
  writeFileSync(path, prefix);
  const fd = openSync(path, "a");
  const direct = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_DIRECT);
  return { path, sink: { fd, direct }, close: () => [fd, direct].forEach((d) => closeSync(d)) };
}

/** Writes `data` in chunks of `size` bytes, as a download would. */
async function writeAll(hasher: ParallelHasher, data: Uint8Array, size: number) {
  for (let offset = 0; offset < data.byteLength; offset += size) {
    hasher.write(data.slice(offset, offset + size));
    await hasher.drain();
  }
}

describe("ParallelHasher", () => {
  test("computes the same sha256 and sha512 as hashing inline, over many chunks", async () => {
    const data = rawDisk(20 << 20, 5);
    const hasher = new ParallelHasher(["sha256", "sha512"]);
    try {
      // 100 000-byte chunks straddle the ring's slots; 20 MiB wraps the ring several times.
      for (let offset = 0; offset < data.byteLength; offset += 100_000) {
        hasher.update(data.subarray(offset, offset + 100_000));
        await hasher.drain();
      }
      expect(await hasher.digests()).toEqual([sha256(data), sha512(data)]);
    } finally {
      await hasher.close();
    }
  });

  test("takes a chunk larger than the ring in one update", async () => {
    const data = rawDisk(24 << 20, 6);
    const hasher = new ParallelHasher(["sha256"]);
    try {
      hasher.update(data.subarray(0, 3));
      hasher.update(data.subarray(3));
      await hasher.drain();
      expect(await hasher.digests()).toEqual([sha256(data)]);
    } finally {
      await hasher.close();
    }
  });

  test("leaves a view into a larger buffer intact", async () => {
    const data = rawDisk(1 << 20, 7);
    const hasher = new ParallelHasher(["sha256"]);
    try {
      hasher.update(data.subarray(0, 1000));
      await hasher.drain();
      expect(await hasher.digests()).toEqual([sha256(data.subarray(0, 1000))]);
      expect(data.byteLength).toBe(1 << 20);
    } finally {
      await hasher.close();
    }
  });

  test("releases a chunk that owns its buffer once it is copied", async () => {
    const hasher = new ParallelHasher(["sha256"]);
    try {
      const chunk = text("hello");
      hasher.update(chunk);
      await hasher.drain();
      expect(chunk.byteLength).toBe(0); // detached: its memory is freed without waiting for a GC
      expect(await hasher.digests()).toEqual([sha256(text("hello"))]);
    } finally {
      await hasher.close();
    }
  });

  test("starts over after reset, also with bytes still queued", async () => {
    const hasher = new ParallelHasher(["sha256"]);
    try {
      hasher.update(text("old bytes"));
      await hasher.drain();
      hasher.update(rawDisk(20 << 20, 8)); // more than the ring holds: part of it is still queued
      hasher.reset();
      hasher.update(text("new"));
      await hasher.drain();
      expect(await hasher.digests()).toEqual([sha256(text("new"))]);
    } finally {
      await hasher.close();
    }
  });

  test("gives digests again after digests, of the bytes since", async () => {
    const hasher = new ParallelHasher(["sha256"]);
    try {
      hasher.update(text("first"));
      expect(await hasher.digests()).toEqual([sha256(text("first"))]);
      hasher.update(text("second"));
      expect(await hasher.digests()).toEqual([sha256(text("second"))]);
    } finally {
      await hasher.close();
    }
  });

  test("writes to the file in order before hashing, whole slots with O_DIRECT", async () => {
    const file = await sinkFile();
    const data = rawDisk((5 << 20) + 4321, 9);
    const hasher = new ParallelHasher(["sha256"], file.sink);
    try {
      await writeAll(hasher, data, 300_001);
      await hasher.settle();
      expect(hasher.offset).toBe(data.byteLength);
      expect(hasher.directWrites).toBe(5); // the 4321 bytes after the last whole MiB are not aligned
      expect(sha256(readFileSync(file.path))).toBe(sha256(data));
      expect(await hasher.digests()).toEqual([sha256(data)]);
    } finally {
      await hasher.close();
      file.close();
    }
  });

  test("falls back to the page cache when O_DIRECT refuses a write", async () => {
    // The file already holds 1000 bytes the hasher does not know of: its "aligned" slots
    // land at an unaligned offset, which O_DIRECT refuses with EINVAL on a disk (tmpfs
    // takes them: there the test only shows that the bytes end up right).
    const prefix = rawDisk(1000, 10);
    const file = await sinkFile(prefix);
    const data = rawDisk(3 << 20, 11);
    const hasher = new ParallelHasher(["sha256"], file.sink);
    try {
      await writeAll(hasher, data, 1 << 20);
      await hasher.settle();
      expect(sha256(readFileSync(file.path))).toBe(sha256(Buffer.concat([prefix, data])));
      expect(await hasher.digests()).toEqual([sha256(data)]);
    } finally {
      await hasher.close();
      file.close();
    }
  });

  test("realigns after hashing a file of odd size, and writes on from there", async () => {
    const prefix = rawDisk(12_345, 12);
    const file = await sinkFile(prefix);
    const data = rawDisk(3 << 20, 13);
    const hasher = new ParallelHasher(["sha256"], file.sink);
    try {
      hasher.update(prefix.slice()); // what a resume does with the bytes already on disk
      await writeAll(hasher, data, 65_536);
      await hasher.settle();
      const whole = Buffer.concat([prefix, data]);
      // The first slot ends at 1 MiB in the file; the next two are whole and aligned.
      expect(hasher.directWrites).toBe(2);
      expect(sha256(readFileSync(file.path))).toBe(sha256(whole));
      expect(await hasher.digests()).toEqual([sha256(whole)]);
    } finally {
      await hasher.close();
      file.close();
    }
  });

  test("reports a failed write with its errno code, and close still returns", async () => {
    const path = join(await tempDir(), "file");
    writeFileSync(path, "");
    const readOnly = openSync(path, "r"); // writing to it fails with EBADF
    const hasher = new ParallelHasher(["sha256"], { fd: readOnly, direct: null });
    try {
      hasher.write(rawDisk(2 << 20, 14));
      const error = await hasher.settle().catch((e: NodeJS.ErrnoException) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as NodeJS.ErrnoException).code).toBe("EBADF");
    } finally {
      await hasher.close();
      closeSync(readOnly);
    }
  });
});
