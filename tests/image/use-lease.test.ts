/**
 * The use lease: `create` holds an image's lease (shared) from fetching it until its
 * instance record names it; `image remove` and `image prune` take it exclusively before
 * deleting and read the records only then. A create is either still holding it (the image
 * stays), done (its record keeps the image), or not there yet (it finds the image gone
 * and fetches it again). The "create" here is a real process (_lease-worker.ts) and the
 * deleters the real CLI, so the locks are the kernel's, across processes.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cachePaths, leasePath } from "../../lib/image/_cache-paths.ts";
import { ImageIndex } from "../../lib/image/_index.ts";
import { tryLock } from "../../lib/image/_lock.ts";
import { fetchImage, type CachedImage } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { pruneImages } from "../../lib/image/prune-images.ts";
import { deleteBlob, removeImage } from "../../lib/image/remove-image.ts";
import { instancePaths, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import { useTempDirs } from "../_helpers.ts";
import { expectError, failure, images } from "./_cache-helpers.ts";
import { rawDisk } from "./_image-server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const WORKER = join(import.meta.dir, "_lease-worker.ts");
const tempDir = useTempDirs();

/** A data dir and a local raw disk file to fetch from. */
async function setup(): Promise<{ dataDir: string; disk: string }> {
  const dir = await tempDir();
  const disk = join(dir, "disk.raw");
  await writeFile(disk, rawDisk(64 << 10, 5));
  return { dataDir: join(dir, "data"), disk };
}

/** A create in another process that fetches `ref`; `fetched()` waits until it holds the lease. */
function spawnCreate(ref: string, dataDir: string) {
  const proc = Bun.spawn([BUN, WORKER, ref, dataDir], { cwd: ROOT, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  const next = async () => new TextDecoder().decode((await reader.read()).value).trim();
  const errors = proc.stderr.getReader();
  let log = "";
  /** Waits until its log (on stderr) says `text`; the log so far. */
  const logged = async (text: string) => {
    while (!log.includes(text)) {
      const { value, done } = await errors.read();
      if (done) throw new Error(`the create exited; it logged: ${log}`);
      log += new TextDecoder().decode(value);
    }
    return log;
  };
  const release = async () => {
    proc.stdin.write("release\n");
    await proc.stdin.flush();
    expect(await next()).toBe("released");
  };
  const kill = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  };
  return { fetched: async () => JSON.parse(await next()) as CachedImage, logged, release, kill };
}

/** A create in another process, between fetching `ref` and writing its record. */
async function creating(ref: string, dataDir: string) {
  const create = spawnCreate(ref, dataDir);
  return { ...create, image: await create.fetched() };
}

/** Runs `testcloud ARGS… --json` and parses its stdout. */
async function cli(args: string[], dataDir: string): Promise<{ exitCode: number; json: any }> {
  const proc = Bun.spawn([BUN, "cli.ts", ...args, "--json"], {
    cwd: ROOT,
    env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_CONNECT: "test:///default" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { exitCode, json: JSON.parse(stdout) };
}

/** Whether a create could take the image's lease now (taken and given back at once). */
function leaseFree(dataDir: string, digest: string): boolean {
  const lease = tryLock(leasePath(cachePaths(images(dataDir)), digest), "shared");
  lease?.release();
  return lease !== null;
}

/** What create's define phase writes: the record naming the image. */
async function writeInstance(dataDir: string, name: string, image: CachedImage): Promise<void> {
  await mkdir(instancePaths(dataDir, name).dir, { recursive: true });
  await writeRecord(dataDir, { name, image: { source: image.source, digest: image.digest, path: image.path } } as InstanceRecord);
}

describe("an image a create in another process holds the lease on (the CLI)", () => {
  test("image remove refuses it with exit 10 and prune skips it; once the record is written and the lease released, the record protects it", async () => {
    const { dataDir, disk } = await setup();
    const create = await creating(disk, dataDir);
    try {
      const refused = await cli(["image", "remove", create.image.digest], dataDir);
      expect(refused.exitCode).toBe(10);
      expect(refused.json.error).toMatchObject({ code: "E_IMAGE_IN_USE", exitCode: 10 });
      expect(refused.json.error.message).toContain("an instance is being created from it");
      const pruned = await cli(["image", "prune"], dataDir);
      expect([pruned.exitCode, pruned.json.removed, pruned.json.bytesKept]).toEqual([0, [], 64 << 10]);
      expect(existsSync(create.image.path)).toBe(true);
      await writeInstance(dataDir, "web", create.image);
      await create.release();
      const inUse = await cli(["image", "remove", create.image.digest], dataDir);
      expect([inUse.exitCode, inUse.json.error.code]).toEqual([10, "E_IMAGE_IN_USE"]);
      expect(inUse.json.error.message).toContain('base of "web"');
      await rm(instancePaths(dataDir, "web").dir, { recursive: true });
      const removed = await cli(["image", "remove", create.image.digest], dataDir);
      expect([removed.exitCode, removed.json.digest]).toEqual([0, create.image.digest]);
      expect(existsSync(create.image.path)).toBe(false);
    } finally {
      await create.kill();
    }
  }, 30_000);

  test("a create killed with -9 holds nothing: prune then removes the image", async () => {
    const { dataDir, disk } = await setup();
    const create = await creating(disk, dataDir);
    try {
      expect((await cli(["image", "prune"], dataDir)).json.removed).toEqual([]);
    } finally {
      await create.kill();
    }
    const pruned = await cli(["image", "prune"], dataDir);
    expect(pruned.json.removed.map((r: { digest: string }) => r.digest)).toEqual([create.image.digest]);
    expect(existsSync(create.image.path)).toBe(false);
  }, 30_000);

  test("a create that finds its image removed between the fetch and the lease fetches it again", async () => {
    const { dataDir, disk } = await setup();
    const first = await fetchImage(disk, { imageDir: images(dataDir) });
    // A removal in progress: it holds the lease exclusively while it deletes the image.
    const removal = tryLock(leasePath(cachePaths(images(dataDir)), first.digest))!;
    const create = spawnCreate(disk, dataDir);
    try {
      await create.logged(`finish removing sha256:${first.digest}`);
      const index = new ImageIndex(cachePaths(images(dataDir)).root);
      deleteBlob(index, index.blob(first.digest)!);
      index.close();
      removal.release();
      const image = await create.fetched();
      expect(await create.logged("fetching it again")).toContain("was removed from the cache meanwhile");
      expect(image).toMatchObject({ digest: first.digest, path: first.path, cached: false });
      expect(existsSync(image.path)).toBe(true);
      expect(listImages(images(dataDir)).map((i) => i.digest)).toEqual([first.digest]);
      expect((await cli(["image", "remove", first.digest], dataDir)).exitCode).toBe(10);
    } finally {
      removal.release();
      await create.kill();
    }
  }, 30_000);

  test("image remove --force removes it anyway", async () => {
    const { dataDir, disk } = await setup();
    const create = await creating(disk, dataDir);
    try {
      const removed = await cli(["image", "remove", create.image.digest, "--force"], dataDir);
      expect([removed.exitCode, removed.json.digest]).toEqual([0, create.image.digest]);
      expect(existsSync(create.image.path)).toBe(false);
    } finally {
      await create.kill();
    }
  }, 30_000);
});

describe("fetchImage with lease", () => {
  test("holds the lease until release, excluding removeImage and pruneImages in this process too", async () => {
    const { dataDir, disk } = await setup();
    const image = await fetchImage(disk, { imageDir: images(dataDir), lease: true });
    try {
      expectError(await failure(removeImage(images(dataDir), image.digest)), "E_IMAGE_IN_USE", 10, "being created");
      expect((await pruneImages(images(dataDir))).removed).toEqual([]);
      expect(listImages(images(dataDir))).toHaveLength(1);
    } finally {
      image.release();
    }
    image.release(); // a second release is harmless
    expect((await removeImage(images(dataDir), image.digest)).digest).toBe(image.digest);
  });

  test("without lease takes none and has no release", async () => {
    const { dataDir, disk } = await setup();
    const image = await fetchImage(disk, { imageDir: images(dataDir) });
    expect("release" in image).toBe(false);
    const lock = tryLock(leasePath(cachePaths(images(dataDir)), image.digest));
    expect(lock).not.toBeNull();
    lock!.release();
  });

  test("fetches the image again when it was removed between the fetch and the lease", async () => {
    const { dataDir, disk } = await setup();
    const first = await fetchImage(disk, { imageDir: images(dataDir) });
    // A removal in progress: it holds the lease exclusively while it deletes the image.
    const removal = tryLock(leasePath(cachePaths(images(dataDir)), first.digest))!;
    const log: string[] = [];
    const leased = fetchImage(disk, {
      imageDir: images(dataDir),
      lease: true,
      log: (message) => {
        log.push(message);
        if (!message.startsWith("Waiting")) return;
        const index = new ImageIndex(cachePaths(images(dataDir)).root);
        deleteBlob(index, index.blob(first.digest)!);
        index.close();
        removal.release();
      },
    });
    const image = await leased;
    try {
      expect(image).toMatchObject({ digest: first.digest, path: first.path, cached: false });
      expect(log).toEqual([expect.stringContaining("finish removing"), expect.stringContaining("fetching it again")]);
      expect(existsSync(image.path)).toBe(true);
      expect(listImages(images(dataDir)).map((i) => i.digest)).toEqual([first.digest]);
      expect(leaseFree(dataDir, image.digest)).toBe(true); // shared: other creates may share it
      expect(tryLock(leasePath(cachePaths(images(dataDir)), image.digest))).toBeNull();
    } finally {
      image.release();
    }
  });

  test("gives up with E_IMAGE (exit 6) when the image is removed before each of 3 leases", async () => {
    const { dataDir, disk } = await setup();
    const { digest } = await fetchImage(disk, { imageDir: images(dataDir) });
    const lease = leasePath(cachePaths(images(dataDir)), digest);
    let removal = tryLock(lease)!;
    let removals = 0;
    const log = (message: string) => {
      if (message.includes("fetching it again")) removal = tryLock(lease)!;
      if (!message.startsWith("Waiting")) return;
      const index = new ImageIndex(cachePaths(images(dataDir)).root);
      deleteBlob(index, index.blob(digest)!);
      index.close();
      removals++;
      setTimeout(() => removal.release(), 10);
    };
    expectError(await failure(fetchImage(disk, { imageDir: images(dataDir), lease: true, log })), "E_IMAGE", 6, "removed from the cache");
    expect(removals).toBe(3);
    const lock = tryLock(lease);
    expect(lock).not.toBeNull();
    lock!.release();
  });
});

describe("removeImage and pruneImages read the usage under the lease", () => {
  test("removeImage calls the usage reader only while holding the image's lease exclusively", async () => {
    const { dataDir, disk } = await setup();
    const { digest } = await fetchImage(disk, { imageDir: images(dataDir) });
    let leased: boolean | undefined;
    await removeImage(images(dataDir), digest, {
      usage: () => {
        leased = !leaseFree(dataDir, digest);
        return new Map();
      },
    });
    expect(leased).toBe(true);
  });

  test("pruneImages calls the usage reader only while holding the leases, and keeps the images it names", async () => {
    const { dataDir, disk } = await setup();
    const image = await fetchImage(disk, { imageDir: images(dataDir) });
    let leased: boolean | undefined;
    const usage = () => {
      leased = !leaseFree(dataDir, image.digest);
      return new Map([[image.digest, ["web"]]]);
    };
    expect((await pruneImages(images(dataDir), { usage })).removed).toEqual([]);
    expect(leased).toBe(true);
    expect(leaseFree(dataDir, image.digest)).toBe(true);
    expect((await pruneImages(images(dataDir), { usage: () => new Map() })).removed).toHaveLength(1);
  });
});
