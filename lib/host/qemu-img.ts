import { ImageError } from "../errors.ts";
import { run as defaultRun, type Runner } from "./run.ts";

/** The subset of `qemu-img info --output=json` testcloud relies on. */
export interface ImageInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  backingFile?: string;
  /** A qcow2's external data file: where its guest data really is, any file on the host. */
  dataFile?: string;
}

/** Parses `qemu-img info --output=json` output. */
export function parseImageInfo(json: string): ImageInfo {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (typeof raw.format !== "string" || typeof raw["virtual-size"] !== "number") {
    throw new Error("qemu-img info: unexpected output");
  }
  const specific = raw["format-specific"] as { data?: Record<string, unknown> } | undefined;
  const dataFile = specific?.data?.["data-file"];
  return {
    format: raw.format,
    virtualSize: raw["virtual-size"],
    actualSize: typeof raw["actual-size"] === "number" ? raw["actual-size"] : undefined,
    backingFile:
      typeof raw["backing-filename"] === "string" ? raw["backing-filename"] : undefined,
    ...(typeof dataFile === "string" ? { dataFile } : {}),
  };
}

/**
 * Reads the format, size and referenced files of an image with `qemu-img info`. Without
 * `format` qemu-img probes, and opening a probed image opens the files it references:
 * give the format for any image not known to reference none (lib/image/check-image-file.ts).
 */
export async function imageInfo(path: string, run: Runner = defaultRun, format?: "qcow2" | "raw"): Promise<ImageInfo> {
  // -U: read even while a running VM holds the image's write lock.
  const argv = ["qemu-img", "info", "-U", ...(format ? ["-f", format] : []), "--output=json", path];
  const result = await run(argv, { allowFailure: true });
  if (result.exitCode !== 0) {
    throw new ImageError(`Not a readable disk image: "${path}": ${result.stderr.trim().split("\n").at(-1)}`);
  }
  return parseImageInfo(result.stdout);
}
