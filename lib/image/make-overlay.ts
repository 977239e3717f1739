import { ImageError } from "../errors.ts";
import { imageInfo } from "../host/qemu-img.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";

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
  const base = await imageInfo(options.base, run);
  // A base with its own backing file would tie every instance to a file outside the cache.
  if (base.backingFile) {
    throw new ImageError(`Base image has a backing file: "${options.base}" -> "${base.backingFile}"`);
  }
  if (base.format !== "qcow2" && base.format !== "raw") {
    throw new ImageError(`Unsupported base image format: "${base.format}": expected qcow2 or raw`);
  }
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
