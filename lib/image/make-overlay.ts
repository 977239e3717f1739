import { ImageError } from "../errors.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";
import { checkImageFile } from "./check-image-file.ts";

export interface OverlayOptions {
  base: string;
  path: string;
  /** Virtual size in bytes; the overlay grows past the base image's size when larger. */
  size?: number;
  run?: Runner;
}

/** Creates a qcow2 copy-on-write overlay on a cached base image. */
export async function makeOverlay(options: OverlayOptions): Promise<void> {
  const run = options.run ?? defaultRun;
  // A base that references a file (backing or data file) would tie every instance to, and
  // give its guest, a file outside the cache: checked before qemu-img opens the base.
  const base = await checkImageFile(options.base, run, { bootable: false });
  if (options.size !== undefined && options.size < base.virtualSize) {
    throw new ImageError(
      `Disk size ${options.size} bytes is smaller than the image (${base.virtualSize} bytes)`,
    );
  }
  const argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-F", base.format, "-b", options.base];
  argv.push("-o", "lazy_refcounts=on", options.path);
  if (options.size !== undefined) argv.push(String(options.size));
  await run(argv);
}
