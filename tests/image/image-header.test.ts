/**
 * parseImageHeader on the first bytes of images made by the real qemu-img (7.2): every
 * format qemu would probe is told apart by its magic, and a qcow2 header's references
 * are read without qemu-img opening anything.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { MAX_HEADER_BYTES, parseImageHeader, parseQcow2 } from "../../lib/image/_image-header.ts";
import { run } from "../../lib/host/run.ts";
import { createImage, requireTool, useTempDirs } from "../_helpers.ts";
import { dataFileImage, flatVmdkDescriptor } from "./_reference-images.ts";

const fixtureDir = useTempDirs("all");
let dir = "";

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  dir = await fixtureDir();
});

const head = async (path: string) => new Uint8Array(await Bun.file(path).slice(0, MAX_HEADER_BYTES).arrayBuffer());

describe("parseImageHeader", () => {
  test.each(["qed", "vdi", "vhdx", "vpc", "vmdk", "parallels", "qcow"])("names a %s image made by qemu-img as foreign", async (format) => {
    const path = await createImage(join(dir, `disk.${format}`), { format });
    expect(parseImageHeader(await head(path))).toEqual({ format, foreign: true });
  });

  test("names a luks header as foreign", () => {
    // qemu-img's luks benchmark fails under load ("Unable to get accurate CPU usage"): the magic by hand.
    const luks = new Uint8Array([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0x00, 0x01, ...new Uint8Array(504)]);
    expect(parseImageHeader(luks)).toEqual({ format: "luks", foreign: true });
  });

  test("names a vmdk descriptor, which lists extent files, as foreign", () => {
    expect(parseImageHeader(new TextEncoder().encode(flatVmdkDescriptor("/etc/hostname")))).toEqual({ format: "vmdk", foreign: true });
  });

  test("calls anything else raw: zeros, an MBR, text", () => {
    const mbr = new Uint8Array(512);
    mbr.set([0x55, 0xaa], 510);
    for (const bytes of [new Uint8Array(4096), mbr, new TextEncoder().encode("hello\n"), new Uint8Array(0)]) {
      expect(parseImageHeader(bytes)).toEqual({ format: "raw" });
    }
  });

  test.each([["1.1", 3], ["0.10", 2]])("reads a self-contained qcow2 (compat=%s, version %d)", async (compat, version) => {
    const path = join(dir, `plain-${compat}.qcow2`);
    await run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", `compat=${compat}`, path, "3M"]);
    expect(parseImageHeader(await head(path))).toEqual({ format: "qcow2", version, virtualSize: 3 << 20, clusterBits: 16, backingFile: null, dataFile: null });
  });

  test("reads a qcow2's backing file name", async () => {
    const base = await createImage(join(dir, "base.qcow2"));
    const overlay = await createImage(join(dir, "overlay.qcow2"), { backing: base });
    expect(parseImageHeader(await head(overlay))).toMatchObject({ format: "qcow2", backingFile: base, dataFile: null });
  });

  test("reads a qcow2's external data file name", async () => {
    const victim = join(dir, "victim.img");
    await Bun.write(victim, new Uint8Array(1 << 20));
    const path = await dataFileImage(join(dir, "data-file.qcow2"), victim);
    expect(parseImageHeader(await head(path))).toMatchObject({ format: "qcow2", backingFile: null, dataFile: victim });
  });

  test("reports the data-file flag even without the name extension", async () => {
    const victim = join(dir, "victim2.img");
    await Bun.write(victim, new Uint8Array(1 << 20));
    const bytes = await head(await dataFileImage(join(dir, "data-file2.qcow2"), victim));
    // Turn the extension into an unknown one: the incompatible-feature bit still says "data file".
    const view = new DataView(bytes.buffer);
    const start = view.getUint32(100);
    for (let at = start; view.getUint32(at) !== 0; at += 8 + Math.ceil(view.getUint32(at + 4) / 8) * 8) {
      if (view.getUint32(at) === 0x44415441) view.setUint32(at, 0x12345678);
    }
    expect(parseQcow2(bytes).dataFile).toBe("");
  });

  test("reads the virtual size from the first 104 bytes alone", async () => {
    const path = await createImage(join(dir, "big.qcow2"), { size: 5 << 30 });
    expect(parseQcow2((await head(path)).subarray(0, 104)).virtualSize).toBe(5 << 30);
  });
});
