/**
 * A small .gz or .xz can expand to terabytes: decompression stops at the qcow2 header's
 * virtual size (plus room for metadata), or at maxImageSize for anything else, and never
 * lets the cache's file system drop below its free-space reserve. The decompressor is
 * killed and nothing is left in the cache.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import type { ImageProgress } from "../../lib/image/progress.ts";
import { createImage, requireTool, useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, images, partials } from "./_cache-helpers.ts";
import { compress } from "./_reference-images.ts";
import { useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const fixtureDir = useTempDirs("all");
const MiB = 1 << 20;
/** A real 1 MiB qcow2 followed by 96 MiB of zeros: its header promises far less than it holds. */
let qcow2Bomb: Uint8Array<ArrayBuffer>;
/** 16 MiB of zeros with an MBR signature: a raw disk as far as the store can tell. */
const raw16 = new Uint8Array(16 * MiB);
raw16.set([0x55, 0xaa], 510);

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  const header = await Bun.file(await createImage(join(await fixtureDir(), "small.qcow2"), { size: MiB })).bytes();
  qcow2Bomb = new Uint8Array(96 * MiB);
  qcow2Bomb.set(header);
});

/** Decompressors this process started that still run (zombies aside). */
function liveChildren(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const stat = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        return "";
      }
    })();
    const match = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
    if (match && Number(match[3]) === process.pid && match[2] !== "Z" && /^(gzip|xz)$/.test(match[1]!)) found.push(`${match[1]} ${pid}`);
  }
  return found;
}

async function expectNoDecompressor(): Promise<void> {
  for (let i = 0; i < 50 && liveChildren().length > 0; i++) await Bun.sleep(20);
  expect(liveChildren()).toEqual([]);
}

async function pull(path: string, dataDir: string, options: Partial<FetchOptions> = {}) {
  const seen = { decompressed: 0 };
  const onProgress = (p: ImageProgress) => void (p.phase === "decompress" && (seen.decompressed = Math.max(seen.decompressed, p.bytes)));
  const result = fetchImage(server.url(path), { imageDir: images(dataDir), retryDelayMs: 5, onProgress, ...options });
  return { result, seen };
}

describe("a qcow2 inside a .gz or .xz", () => {
  test.each(["gz", "xz"] as const)("that expands beyond its header's virtual size (%s) is refused with E_DECOMPRESS_LIMIT", async (kind) => {
    const dataDir = await tempDir();
    server.put("/bomb.qcow2", await compress(qcow2Bomb, kind));
    const { result, seen } = await pull("/bomb.qcow2", dataDir);
    const error = await failure(result);
    expectError(error, "E_DECOMPRESS_LIMIT", 6, `"${server.url("/bomb.qcow2")}": more than`);
    expect(error.message).toContain(`virtual size of ${MiB} bytes`);
    // It stopped near the bound (1 MiB + 1/8 + 64 MiB), not at the 96 MiB the file holds.
    expect(seen.decompressed).toBeLessThanOrEqual(MiB + MiB / 8 + 64 * MiB);
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
    await expectNoDecompressor();
  }, 30_000); // compressing and expanding 96 MiB takes seconds on a loaded 2-core host

  test("that stays within its virtual size is stored", async () => {
    const dataDir = await tempDir();
    const image = qcow2Bomb.subarray(0, 8 * MiB);
    server.put("/fine.qcow2", await compress(image, "gz"));
    expect((await fetchImage(server.url("/fine.qcow2"), { imageDir: images(dataDir) })).size).toBe(image.byteLength);
  });
});

describe("a raw image inside a .gz", () => {
  test("that expands beyond maxImageSize is refused with E_DECOMPRESS_LIMIT, and the tool killed", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw.gz", await compress(raw16, "gz"));
    const { result, seen } = await pull("/disk.raw.gz", dataDir, { maxImageSize: 4 * MiB });
    const error = await failure(result);
    expectError(error, "E_DECOMPRESS_LIMIT", 6, `more than ${4 * MiB} bytes, the limit (maxImageSize)`);
    expect(error.hint).toContain("maxImageSize");
    expect(seen.decompressed).toBeLessThanOrEqual(4 * MiB);
    await expectNoImage(dataDir);
    await expectNoDecompressor();
  });

  test("within maxImageSize is stored", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw.gz", await compress(raw16, "gz"));
    expect((await fetchImage(server.url("/disk.raw.gz"), { imageDir: images(dataDir), maxImageSize: 16 * MiB })).size).toBe(16 * MiB);
  });
});

describe("the free-space reserve", () => {
  // A reserve larger than any disk: the first check finds too little space left.
  const everything = Number.MAX_SAFE_INTEGER;

  test("stops a decompression with E_DISK_FULL before the disk is full", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw.gz", await compress(raw16, "gz"));
    const error = await failure(fetchImage(server.url("/disk.raw.gz"), { imageDir: images(dataDir), minFreeSpace: everything }));
    expectError(error, "E_DISK_FULL", 6, "below the reserve");
    expect(error.hint).toContain("testcloud image prune");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
    await expectNoDecompressor();
  });

  test("stops a download with E_DISK_FULL and drops the partial download", async () => {
    const dataDir = await tempDir();
    server.put("/disk.raw", raw16);
    const error = await failure(fetchImage(server.url("/disk.raw"), { imageDir: images(dataDir), minFreeSpace: everything }));
    expectError(error, "E_DISK_FULL", 6, "below the reserve");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("stops a copy of a local file with E_DISK_FULL", async () => {
    const dataDir = await tempDir();
    const path = join(await tempDir(), "disk.raw");
    await Bun.write(path, raw16);
    const error = await failure(fetchImage(path, { imageDir: images(dataDir), minFreeSpace: everything }));
    expectError(error, "E_DISK_FULL", 6, "below the reserve");
    await expectNoImage(dataDir);
  });
});
