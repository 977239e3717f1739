import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ImageError } from "../../lib/errors.ts";
import { imageInfo, parseImageInfo } from "../../lib/host/qemu-img.ts";
import { createImage, fakeRunner, fixture, useTempDirs } from "../_helpers.ts";

// Captured with `qemu-img info -U --output=json` (qemu-img 7.2) on images made by
// `qemu-img create`: a 64 MiB qcow2, a 128 MiB qcow2 overlay on it, a 1 MiB qcow2 with an
// external data file, a 1 MiB raw file (tests/fixtures/README.md).
const read = (name: string) => Bun.file(fixture(name)).text();

describe("parseImageInfo", () => {
  test("reads format and sizes of a qcow2 without backing file", async () => {
    expect(parseImageInfo(await read("qemu-img-info-qcow2.json"))).toEqual({
      format: "qcow2",
      virtualSize: 64 * 1024 * 1024,
      actualSize: 200704,
      backingFile: undefined,
    });
  });

  test("reads the backing file of a qcow2 overlay", async () => {
    const info = parseImageInfo(await read("qemu-img-info-qcow2-backing.json"));
    expect(info.format).toBe("qcow2");
    expect(info.virtualSize).toBe(128 * 1024 * 1024);
    expect(info.backingFile).toMatch(/^\/.+\/base\.qcow2$/);
  });

  test("reads the external data file of a qcow2", async () => {
    const info = parseImageInfo(await read("qemu-img-info-qcow2-data-file.json"));
    expect(info).toMatchObject({ format: "qcow2", virtualSize: 1024 * 1024, dataFile: "/tmp/dfx/victim.img" });
    expect(info.backingFile).toBeUndefined();
  });

  test("reports no data file for a qcow2 without one", async () => {
    expect(parseImageInfo(await read("qemu-img-info-qcow2.json")).dataFile).toBeUndefined();
  });

  test("reads a raw file", async () => {
    expect(parseImageInfo(await read("qemu-img-info-raw.json"))).toEqual({
      format: "raw",
      virtualSize: 1024 * 1024,
      actualSize: 4096,
      backingFile: undefined,
    });
  });

  const bad: [string, string][] = [
    ["no format", '{"virtual-size": 1}'],
    ["no virtual size", '{"format": "raw"}'],
    ["a string virtual size", '{"format": "raw", "virtual-size": "1"}'],
  ];
  test.each(bad)("rejects JSON with %s", (_label, json) => {
    expect(() => parseImageInfo(json)).toThrow("unexpected output");
  });

  test("rejects text that is not JSON", () => {
    expect(() => parseImageInfo("qemu-img: Could not open")).toThrow();
  });
});

describe("imageInfo", () => {
  const tempDir = useTempDirs();

  test("reads a real qcow2 made by qemu-img", async () => {
    const path = await createImage(join(await tempDir(), "a.qcow2"), { size: 2 << 20 });
    const info = await imageInfo(path);
    expect(info.format).toBe("qcow2");
    expect(info.virtualSize).toBe(2 << 20);
    expect(info.backingFile).toBeUndefined();
  });

  test("reports the backing file of a real overlay", async () => {
    const dir = await tempDir();
    const base = await createImage(join(dir, "base.qcow2"));
    const overlay = await createImage(join(dir, "overlay.qcow2"), { backing: base });
    expect((await imageInfo(overlay)).backingFile).toBe(base);
  });

  test("a missing file is an ImageError naming the path", async () => {
    const path = join(await tempDir(), "nope.qcow2");
    const error = await imageInfo(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toContain(`"${path}"`);
  });

  test("a directory is an ImageError", async () => {
    await expect(imageInfo(await tempDir())).rejects.toBeInstanceOf(ImageError);
  });

  test("passes -U so an image locked by a running VM can still be read", async () => {
    const raw = await read("qemu-img-info-raw.json");
    const run = fakeRunner(() => ({ stdout: raw }));
    await imageInfo("/images/x.raw", run);
    expect(run.calls[0]?.argv).toEqual(["qemu-img", "info", "-U", "--output=json", "/images/x.raw"]);
  });

  test("passes the format when given, so qemu-img does not probe", async () => {
    const raw = await read("qemu-img-info-raw.json");
    const run = fakeRunner(() => ({ stdout: raw }));
    await imageInfo("/images/x.raw", run, "raw");
    expect(run.calls[0]?.argv).toEqual(["qemu-img", "info", "-U", "-f", "raw", "--output=json", "/images/x.raw"]);
  });

  test("puts the last line of qemu-img's stderr in the ImageError", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: "qemu-img: Could not open 'x': Permission denied\n" }));
    const error = await imageInfo("x", run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toEndWith("Permission denied");
  });
});
