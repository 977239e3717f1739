/**
 * Images that reference host files never enter the cache: a qcow2 with an external data
 * file (the guest would read the host file, e.g. data_file=/etc/shadow), one with a
 * backing file, a vmdk whose extents are host files; also inside a .gz or .xz, from a
 * server or a local file. And the files they name are never opened, not even by
 * qemu-img info: a FIFO named as the data file proves it (opening one blocks).
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, constants, openSync } from "node:fs";
import { join } from "node:path";
import { ImageIndex } from "../../lib/image/_index.ts";
import { checkImageFile } from "../../lib/image/check-image-file.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { makeOverlay } from "../../lib/image/make-overlay.ts";
import { createImage, listDir, requireTool, useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, images, partials } from "./_cache-helpers.ts";
import { compress, dataFileImage, flatVmdkDescriptor } from "./_reference-images.ts";
import { rawDisk, useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const fixtureDir = useTempDirs("all");
const SECRET = "root:$6$not-for-guests:19000:0:99999:7:::\n".repeat(1 << 14);
let dir = "";
let victim = "";
let dataFileQcow2: Uint8Array;
const fifos: string[] = [];

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  dir = await fixtureDir();
  victim = join(dir, "shadow");
  await Bun.write(victim, SECRET);
  dataFileQcow2 = await Bun.file(await dataFileImage(join(dir, "data-file.qcow2"), victim, SECRET.length)).bytes();
});

// A test that opened a FIFO would block in open(); a writer end releases it.
afterEach(() => {
  for (const fifo of fifos.splice(0)) closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
});

/** A FIFO (in the directory kept until the end, so that afterEach can still open it). */
function fifo(name: string): string {
  const path = join(dir, name);
  if (Bun.spawnSync(["mkfifo", path]).exitCode !== 0) throw new Error(`mkfifo ${path} failed`);
  fifos.push(path);
  return path;
}

/** Nothing of the refused image anywhere in the cache: no blob, temp file, partial or index row. */
async function expectNothingCached(dataDir: string, source: string): Promise<void> {
  await expectNoImage(dataDir);
  expect(await partials(dataDir)).toEqual([]);
  expect(await listDir(join(images(dataDir), "partial"))).toEqual([]);
  const index = new ImageIndex(images(dataDir));
  try {
    expect(index.source(source)).toBeNull();
    expect(index.blobs()).toEqual([]);
  } finally {
    index.close();
  }
}

describe("the image store refuses an image that references a host file", () => {
  test.each([["as is", null], ["gzip-compressed", "gz"], ["xz-compressed", "xz"]] as const)(
    "a qcow2 with an external data file, %s, from a server: E_IMAGE_REFERENCES_FILE (exit 6), nothing cached",
    async (_label, kind) => {
      const dataDir = await tempDir();
      server.put("/disk.qcow2", kind ? await compress(dataFileQcow2, kind) : dataFileQcow2);
      const error = await failure(fetchImage(server.url("/disk.qcow2"), { imageDir: images(dataDir) }));
      expectError(error, "E_IMAGE_REFERENCES_FILE", 6, `"${server.url("/disk.qcow2")}": external data file "${victim}"`);
      await expectNothingCached(dataDir, server.url("/disk.qcow2"));
    },
  );

  test("a qcow2 with an external data file, copied from a local file: refused, nothing cached", async () => {
    const dataDir = await tempDir();
    const path = join(await tempDir(), "disk.qcow2");
    await Bun.write(path, dataFileQcow2);
    const error = await failure(fetchImage(path, { imageDir: images(dataDir) }));
    expectError(error, "E_IMAGE_REFERENCES_FILE", 6, "external data file");
    await expectNothingCached(dataDir, `file://${path}`);
  });

  test("a qcow2 with a backing file: E_IMAGE_REFERENCES_FILE, nothing cached", async () => {
    const dataDir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"));
    server.put("/overlay.qcow2", await Bun.file(await createImage(join(dir, "overlay.qcow2"), { backing: base })).bytes());
    const error = await failure(fetchImage(server.url("/overlay.qcow2"), { imageDir: images(dataDir) }));
    expectError(error, "E_IMAGE_REFERENCES_FILE", 6, `backing file "${base}"`);
    await expectNothingCached(dataDir, server.url("/overlay.qcow2"));
  });

  test("a vmdk descriptor naming a host file as its extent: E_IMAGE_FORMAT, and the extent is never opened", async () => {
    const dataDir = await tempDir();
    const extent = fifo("extent");
    server.put("/disk.vmdk", new TextEncoder().encode(flatVmdkDescriptor(extent)));
    const error = await failure(fetchImage(server.url("/disk.vmdk"), { imageDir: images(dataDir) }));
    expectError(error, "E_IMAGE_FORMAT", 6, `Unsupported image format: "vmdk"`);
    await expectNothingCached(dataDir, server.url("/disk.vmdk"));
  });

  test("the data file is never opened while checking: a FIFO named as data file does not block", async () => {
    // qemu-img create needs a regular data file; a FIFO takes its name afterwards.
    const data = join(dir, "fifo-data");
    await Bun.write(data, "");
    const path = await dataFileImage(join(await tempDir(), "fifo-data.qcow2"), data);
    await Bun.file(data).delete();
    fifo("fifo-data");
    const error = await failure(checkImageFile(path));
    expectError(error, "E_IMAGE_REFERENCES_FILE", 6, "external data file");
  }, 3000);
});

describe("create (the CLI, libvirt's test driver)", () => {
  const ROOT = join(import.meta.dir, "..", "..");
  async function create(image: string, flags: string[]) {
    const env = { ...process.env, TESTCLOUD_DATA_DIR: await tempDir(), TESTCLOUD_CONNECT: "test:///default" };
    const argv = [join(ROOT, "node_modules", ".bin", "bun"), "cli.ts", "create", image, "--network", "default", "--no-wait", "--json", ...flags];
    const proc = Bun.spawn(argv, { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return { exitCode, json: JSON.parse(stdout), dataDir: env.TESTCLOUD_DATA_DIR };
  }

  test.each([["--dry-run", ["--dry-run"]], ["a real create", []]])(
    "%s refuses a local qcow2 with an external data file: exit 6, E_IMAGE_REFERENCES_FILE",
    async (_label, flags) => {
      const path = join(await tempDir(), "disk.qcow2");
      await Bun.write(path, dataFileQcow2);
      const result = await create(path, flags);
      expect([result.exitCode, result.json.error.code]).toEqual([6, "E_IMAGE_REFERENCES_FILE"]);
      expect(await listDir(join(result.dataDir, "instances"))).toEqual([]);
      expect(await listDir(join(images(result.dataDir), "blobs"))).toEqual([]);
    },
  );
});

describe("checkImageFile (what create --dry-run checks on a local file)", () => {
  test("accepts a self-contained qcow2 and gives its format and virtual size", async () => {
    const path = await createImage(join(await tempDir(), "ok.qcow2"), { size: 3 << 20 });
    expect(await checkImageFile(path)).toEqual({ format: "qcow2", virtualSize: 3 << 20 });
  });

  test("accepts a raw disk with a partition table", async () => {
    const path = join(await tempDir(), "disk.raw");
    await Bun.write(path, rawDisk(1 << 20));
    expect(await checkImageFile(path)).toEqual({ format: "raw", virtualSize: 1 << 20 });
  });

  test("refuses a raw file without a partition table as no disk image", async () => {
    const path = join(await tempDir(), "notes.txt");
    await Bun.write(path, "just text\n".repeat(100));
    expectError(await failure(checkImageFile(path)), "E_NOT_AN_IMAGE", 6, "no partition table");
  });

  test("refuses a qcow2 with a data file, naming the file", async () => {
    const path = join(await tempDir(), "d.qcow2");
    await Bun.write(path, dataFileQcow2);
    expectError(await failure(checkImageFile(path)), "E_IMAGE_REFERENCES_FILE", 6, `external data file "${victim}"`);
  });
});

describe("makeOverlay", () => {
  test("refuses a base image that has an external data file, and creates nothing", async () => {
    const work = await tempDir();
    const base = join(work, "base.qcow2");
    await Bun.write(base, dataFileQcow2);
    const error = await failure(makeOverlay({ base, path: join(work, "disk.qcow2") }));
    expectError(error, "E_IMAGE_REFERENCES_FILE", 6, "external data file");
    expect(await listDir(work)).toEqual(["base.qcow2"]);
  });
});
