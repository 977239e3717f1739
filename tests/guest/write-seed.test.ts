import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSeed, type SeedFiles } from "../../lib/guest/write-seed.ts";
import { run } from "../../lib/host/run.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";

const SECTOR = 2048;
const SEED: SeedFiles = {
  metaData: "instance-id: iid-seed-test\nlocal-hostname: seed-test\n",
  userData: "#cloud-config\nruncmd: [true]\n",
  networkConfig: "version: 2\n",
};

const tempDir = useTempDirs("all");
let dir: string;
let seedPath: string;
let seed: Uint8Array;
let reference: Uint8Array;

beforeAll(async () => {
  dir = await tempDir();
  seedPath = join(dir, "seed.iso");
  await writeSeed(seedPath, SEED);
  seed = new Uint8Array(await readFile(seedPath));
  reference = await genisoimageSeed();
});

/** Zeroed whole sectors at the end of an image: the padding. */
function trailingZeroSectors(image: Uint8Array): number {
  let last = image.length - 1;
  while (last >= 0 && image[last] === 0) last--;
  return image.length / SECTOR - (Math.floor(last / SECTOR) + 1);
}

/** The volume space size (in sectors) of the descriptor at `sector`, both byte orders. */
function spaceSize(image: Uint8Array, sector: number): [number, number] {
  const view = new DataView(image.buffer, image.byteOffset + sector * SECTOR + 80, 8);
  return [view.getUint32(0, true), view.getUint32(4, false)];
}

/** The same files as an image made by genisoimage with its defaults, the way cloud-localds does. */
async function genisoimageSeed(): Promise<Uint8Array> {
  const source = join(dir, "genisoimage-src");
  await mkdir(source);
  await writeFile(join(source, "meta-data"), SEED.metaData);
  await writeFile(join(source, "user-data"), SEED.userData);
  await writeFile(join(source, "network-config"), SEED.networkConfig!);
  const out = join(dir, "genisoimage.iso");
  await run([requireTool("genisoimage", "genisoimage"), "-quiet", "-o", out, "-V", "cidata", "-J", "-r", source]);
  return new Uint8Array(await readFile(out));
}

describe("writeSeed padding", () => {
  test("the seed is larger than the 64 KiB busybox's volume_id needs to probe a device", () => {
    expect(seed.length).toBeGreaterThanOrEqual(64 * 1024);
    expect(seed.length % SECTOR).toBe(0);
  });

  test("ends in 150 zeroed sectors, exactly like genisoimage's default -pad", () => {
    expect(trailingZeroSectors(reference)).toBe(150);
    expect(trailingZeroSectors(seed)).toBe(150);
  });

  test("the primary and Joliet volume space sizes cover the padding, as genisoimage's do", () => {
    expect(spaceSize(reference, 16)).toEqual([reference.length / SECTOR, reference.length / SECTOR]);
    for (const descriptor of [16, 17]) expect(spaceSize(seed, descriptor)).toEqual([seed.length / SECTOR, seed.length / SECTOR]);
  });
});

describe("writeSeed found by busybox findfs (volume_id, as busybox-based guests look it up)", () => {
  let loop = "";

  beforeAll(async () => {
    const losetup = requireTool("losetup", "mount");
    loop = (await run([losetup, "--find", "--show", "--read-only", seedPath])).stdout.trim();
  });

  afterAll(async () => {
    if (loop) await run([requireTool("losetup", "mount"), "--detach", loop]);
  });

  test("findfs LABEL=cidata prints the loop device holding the seed", async () => {
    const busybox = requireTool("busybox", "busybox-static");
    const found = await run([busybox, "findfs", "LABEL=cidata"], { allowFailure: true });
    expect(found).toMatchObject({ exitCode: 0, stdout: `${loop}\n` });
  });
});
