import { describe, expect, test } from "bun:test";
import { ParallelHasher } from "../../lib/image/_hasher.ts";
import { rawDisk, sha256, sha512 } from "./_image-server.ts";

describe("ParallelHasher", () => {
  test("computes the same sha256 and sha512 as hashing inline, over many chunks", async () => {
    const data = rawDisk(20 << 20, 5);
    const hasher = new ParallelHasher(["sha256", "sha512"]);
    try {
      for (let offset = 0; offset < data.byteLength; offset += 100_000) {
        // Views into one buffer are copied, not transferred: `data` stays intact.
        hasher.update(data.subarray(offset, offset + 100_000));
        await hasher.drain(2 << 20);
      }
      expect(await hasher.digests()).toEqual([sha256(data), sha512(data)]);
      expect(data.byteLength).toBe(20 << 20);
    } finally {
      hasher.close();
    }
  });

  test("transfers a chunk that owns its buffer", async () => {
    const hasher = new ParallelHasher(["sha256"]);
    try {
      const chunk = new TextEncoder().encode("hello");
      hasher.update(chunk);
      expect(chunk.byteLength).toBe(0); // detached: handed to the worker without a copy
      expect(await hasher.digests()).toEqual([sha256(new TextEncoder().encode("hello"))]);
    } finally {
      hasher.close();
    }
  });

  test("starts over after reset", async () => {
    const hasher = new ParallelHasher(["sha256"]);
    try {
      hasher.update(new TextEncoder().encode("old bytes"));
      hasher.reset();
      hasher.update(new TextEncoder().encode("new"));
      expect(await hasher.digests()).toEqual([sha256(new TextEncoder().encode("new"))]);
    } finally {
      hasher.close();
    }
  });
});
