import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feed } from "../../lib/libvirt/restore-domain.ts";

/** Reads a FIFO to its end, as libvirt does with a save image. */
async function drain(fifo: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(fifo)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("feed", () => {
  test("writes the new head, then the image's stream from its offset to its end, into the FIFO", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-feed-"));
    try {
      // An old head of 3 MiB + 5 bytes (more than one skip buffer), then a 5 MiB stream.
      const oldHead = Buffer.alloc(3 * 2 ** 20 + 5, 0xee);
      const stream = Buffer.from(crypto.getRandomValues(new Uint8Array(5 * 2 ** 20)));
      const image = join(dir, "state.save");
      writeFileSync(image, Buffer.concat([oldHead, stream]));
      const fifo = join(dir, "restore.fifo");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      const head = Buffer.from("new head");
      const [read] = await Promise.all([drain(fifo), feed({ image, streamOffset: oldHead.length, head, fifo })]);
      expect(read.length).toBe(head.length + stream.length);
      expect(read.equals(Buffer.concat([head, stream]))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("fails on an image that ends before its stream starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-feed-"));
    try {
      const image = join(dir, "state.save");
      writeFileSync(image, Buffer.alloc(100));
      const fifo = join(dir, "restore.fifo");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      await expect(feed({ image, streamOffset: 200, head: Buffer.from("h"), fifo })).rejects.toThrow(/ends before its stream/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
