/**
 * The architecture the cache knows an image by (issue 13): a shortcut's resolution says it,
 * a file or URL gets the one it is first booted as, and fetchImage with `bootArch` refuses
 * an image known as another's, whatever name (file, URL, shortcut) reaches the same bytes.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import type { Arch } from "../../lib/machine/arch.ts";
import { createImage, requireTool, useTempDirs } from "../_helpers.ts";
import { expectError, failure, images } from "./_cache-helpers.ts";
import { sha256, useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const fixtures = useTempDirs("all");
let file: string;
let qcow2: Uint8Array<ArrayBuffer>;

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  file = await createImage(join(await fixtures(), "guest.qcow2"), { size: 8 << 20 });
  qcow2 = await Bun.file(file).bytes();
});

/** An AlmaLinux mirror with a GenericCloud image for `arch`. */
function alma(arch: Arch): void {
  const dir = `/alma/almalinux/9/cloud/${arch}/images/`;
  const name = `AlmaLinux-9-GenericCloud-9.5-20241120.${arch}.qcow2`;
  server.put(`${dir}CHECKSUM`, new TextEncoder().encode(`${sha256(qcow2)}  ${name}\n`), { contentType: "text/plain" });
  server.put(`${dir}${name}`, qcow2);
}

function options(dataDir: string, extra: Partial<FetchOptions> = {}): FetchOptions {
  return { imageDir: images(dataDir), baseUrls: { "repo.almalinux.org": `${server.origin}/alma` }, retryDelayMs: 5, ...extra };
}

describe("an image's architecture", () => {
  test("a file booted as aarch64 is refused as x86_64 or s390x, naming aarch64; as aarch64 it is fine again", async () => {
    const dataDir = await tempDir();
    await fetchImage(file, options(dataDir, { bootArch: "aarch64" }));
    for (const arch of ["x86_64", "s390x"] as const) {
      const error = await failure(fetchImage(file, options(dataDir, { bootArch: arch })));
      expectError(error, "E_ARCH_MISMATCH", 2, `Image is for aarch64, not ${arch}`);
      expect(error.hint).toContain("--arch aarch64");
    }
    expect((await fetchImage(file, options(dataDir, { bootArch: "aarch64" }))).digest).toBe(sha256(qcow2));
  });

  test("a shortcut resolved for ppc64le marks its bytes ppc64le: the same bytes as a file are refused as x86_64", async () => {
    const dataDir = await tempDir();
    alma("ppc64le");
    await fetchImage("alma:9", options(dataDir, { arch: "ppc64le" }));
    const error = await failure(fetchImage(file, options(dataDir, { bootArch: "x86_64", sha256: sha256(qcow2) })));
    expectError(error, "E_ARCH_MISMATCH", 2, "Image is for ppc64le, not x86_64");
  });

  test("a shortcut's own architecture overrides what a file of the same bytes was first booted as", async () => {
    const dataDir = await tempDir();
    await fetchImage(file, options(dataDir, { bootArch: "x86_64" }));
    alma("aarch64");
    // The distro says these bytes are aarch64's: booting the shortcut as aarch64 works…
    await fetchImage("alma:9", options(dataDir, { arch: "aarch64", bootArch: "aarch64" }));
    // …and from now on the file is refused as x86_64.
    expectError(await failure(fetchImage(file, options(dataDir, { bootArch: "x86_64" }))), "E_ARCH_MISMATCH", 2, "not x86_64");
  });

  test("a fetch without bootArch (image pull) notes nothing: the first boot decides", async () => {
    const dataDir = await tempDir();
    await fetchImage(file, options(dataDir));
    await fetchImage(file, options(dataDir, { bootArch: "s390x" }));
    expectError(await failure(fetchImage(file, options(dataDir, { bootArch: "aarch64" }))), "E_ARCH_MISMATCH", 2, "Image is for s390x");
  });
});
