/**
 * A full disk on the O_DIRECT download path. The tmpfs of download-faults.test.ts takes
 * no O_DIRECT, so its writes go through the page cache; here the cache lives on a 32 MiB
 * ext4 file system on a loop device, where the download's writes are direct, and the
 * image is larger than the file system. Needs root and loop devices: without them this
 * test fails, it does not skip.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { constants, readdirSync, readFileSync, readlinkSync, statfsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cachePaths, sourceFiles } from "../../lib/image/_cache-paths.ts";
import { tryLock } from "../../lib/image/_lock.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { listDir, requireTool } from "../_helpers.ts";
import { expectError, expectNoImage, failure, images, partials } from "./_cache-helpers.ts";
import { rawDisk, sha256, useImageServer } from "./_image-server.ts";

const server = useImageServer();
let dir = "";
let mountpoint = "";
let loop = "";

function sh(argv: string[]): string {
  const result = Bun.spawnSync(argv, { stderr: "pipe", stdout: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${result.exitCode}: ${result.stderr.toString().trim()}`);
  return result.stdout.toString().trim();
}

beforeAll(async () => {
  for (const [tool, pkg] of [["losetup", "mount"], ["mkfs.ext4", "e2fsprogs"], ["mount", "mount"]]) requireTool(tool!, pkg!);
  dir = await mkdtemp(join(tmpdir(), "testcloud-test-"));
  const image = join(dir, "fs.img");
  sh(["truncate", "-s", "32M", image]);
  // -m 0: no blocks reserved for root, so "full" means full for us too.
  sh(["mkfs.ext4", "-q", "-m", "0", image]);
  loop = sh(["losetup", "-f", "--show", image]);
  mountpoint = join(dir, "mnt");
  await mkdir(mountpoint);
  sh(["mount", loop, mountpoint]);
});

// Always, whatever failed above: a mount or loop device left behind would outlive the run.
// The directory goes last, once nothing is mounted in it.
afterAll(async () => {
  if (mountpoint && Bun.spawnSync(["umount", mountpoint]).exitCode !== 0) Bun.spawnSync(["umount", "-l", mountpoint]);
  if (loop) Bun.spawnSync(["losetup", "-d", loop]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** True when this process has `path` open with O_DIRECT (from /proc/self/fdinfo). */
function openDirect(path: string): boolean {
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== path) continue;
      const flags = Number.parseInt(/flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1]!, 8);
      if (flags & constants.O_DIRECT) return true;
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return false;
}

const free = () => statfsSync(mountpoint).bavail * statfsSync(mountpoint).bsize;

describe("a full ext4 file system under an O_DIRECT download", () => {
  test("running out of space is E_DISK_FULL (exit 6), frees everything and releases the lock", async () => {
    const dataDir = join(mountpoint, "data");
    const before = free();
    const url = server.url("/big.raw");
    server.put("/big.raw", rawDisk(64 << 20, 11));
    const files = sourceFiles(cachePaths(images(dataDir)), url);
    let direct = false;
    // minFreeSpace 0: the write itself must hit ENOSPC, not the reserve check before it.
    const error = await failure(
      fetchImage(url, { imageDir: images(dataDir), retryDelayMs: 5, minFreeSpace: 0, onProgress: () => void (direct ||= openDirect(files.data)) }),
    );
    expect(direct).toBe(true);
    expectError(error, "E_DISK_FULL", 6, `No space left for the image cache: "${images(dataDir)}"`);
    expect(error.hint).toContain("testcloud image prune");
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
    expect(await listDir(join(images(dataDir), "partial"))).toEqual([]);
    const lock = tryLock(files.lock);
    expect(lock).not.toBeNull();
    lock?.release();
    // What the download wrote is free again (the index and lock files stay), and usable.
    expect(free()).toBeGreaterThan(before - (1 << 20));
    server.put("/small.raw", rawDisk(4 << 20, 12));
    expect((await fetchImage(server.url("/small.raw"), { imageDir: images(dataDir) })).digest).toBe(sha256(rawDisk(4 << 20, 12)));
  });

  test("the free-space reserve stops the download before the file system is full", async () => {
    const dataDir = join(mountpoint, "data2");
    server.put("/big.raw", rawDisk(64 << 20, 13));
    let least = free();
    const onProgress = () => void (least = Math.min(least, free()));
    const error = await failure(fetchImage(server.url("/big.raw"), { imageDir: images(dataDir), retryDelayMs: 5, minFreeSpace: 8 << 20, onProgress }));
    expectError(error, "E_DISK_FULL", 6, `below the reserve of ${8 << 20} bytes`);
    // Never full: at most the download's 4 MiB ring went into the reserve.
    expect(least).toBeGreaterThan(2 << 20);
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });
});
