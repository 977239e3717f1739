import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { ImageError } from "../../lib/errors.ts";
import { makeOverlay } from "../../lib/image/make-overlay.ts";
import { createImage, qemuImgInfo, requireTool, useTempDirs } from "../_helpers.ts";

const MiB = 1024 * 1024;

describe("makeOverlay", () => {
  const tempDir = useTempDirs();
  requireTool("qemu-img", "qemu-utils");

  test("creates a qcow2 overlay backed by a qcow2 base", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"), { size: 8 * MiB });
    const path = join(dir, "disk.qcow2");
    await makeOverlay({ base, path });
    const info = await qemuImgInfo(path);
    expect(info.format).toBe("qcow2");
    expect(info["backing-filename"]).toBe(base);
    expect(info["backing-filename-format"]).toBe("qcow2");
    expect(info["virtual-size"]).toBe(8 * MiB);
  });

  test("records raw as the backing format of a raw base", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.raw"), { format: "raw", size: 4 * MiB });
    const path = join(dir, "disk.qcow2");
    await makeOverlay({ base, path });
    const info = await qemuImgInfo(path);
    expect(info["backing-filename"]).toBe(base);
    expect(info["backing-filename-format"]).toBe("raw");
  });

  test("enables lazy refcounts on the overlay", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"));
    const path = join(dir, "disk.qcow2");
    await makeOverlay({ base, path });
    const specific = (await qemuImgInfo(path))["format-specific"] as { data: { "lazy-refcounts": boolean } };
    expect(specific.data["lazy-refcounts"]).toBe(true);
  });

  test("grows the overlay to a larger size", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"), { size: 8 * MiB });
    const path = join(dir, "disk.qcow2");
    await makeOverlay({ base, path, size: 64 * MiB });
    expect((await qemuImgInfo(path))["virtual-size"]).toBe(64 * MiB);
  });

  test("accepts a size equal to the base", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"), { size: 8 * MiB });
    const path = join(dir, "disk.qcow2");
    await makeOverlay({ base, path, size: 8 * MiB });
    expect((await qemuImgInfo(path))["virtual-size"]).toBe(8 * MiB);
  });

  test("refuses a size smaller than the base and creates nothing", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"), { size: 8 * MiB });
    const path = join(dir, "disk.qcow2");
    const error = await makeOverlay({ base, path, size: 4 * MiB }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toContain("smaller than the image");
    expect(existsSync(path)).toBe(false);
  });

  test("refuses a base image that has a backing file", async () => {
    const dir = await tempDir();
    const root = await createImage(join(dir, "root.qcow2"));
    const base = await createImage(join(dir, "base.qcow2"), { backing: root });
    const path = join(dir, "disk.qcow2");
    const error = await makeOverlay({ base, path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toContain("backing file");
    expect(existsSync(path)).toBe(false);
  });

  test("refuses a base that is not a qcow2 or raw image", async () => {
    const dir = await tempDir();
    const base = join(dir, "base.vmdk");
    await createImage(base, { format: "vmdk" });
    const error = await makeOverlay({ base, path: join(dir, "disk.qcow2") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toContain('"vmdk"');
  });

  test("a missing base is an ImageError", async () => {
    const dir = await tempDir();
    const error = await makeOverlay({ base: join(dir, "nope"), path: join(dir, "disk.qcow2") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
  });
});
