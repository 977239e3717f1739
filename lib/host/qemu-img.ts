import { ImageError } from "../errors.ts";
import { run as defaultRun, type Runner } from "./run.ts";

/** The subset of `qemu-img info --output=json` testcloud relies on. */
export interface ImageInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  backingFile?: string;
}

/** Parses `qemu-img info --output=json` output. */
export function parseImageInfo(json: string): ImageInfo {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (typeof raw.format !== "string" || typeof raw["virtual-size"] !== "number") {
    throw new Error("qemu-img info: unexpected output");
  }
  return {
    format: raw.format,
    virtualSize: raw["virtual-size"],
    actualSize: typeof raw["actual-size"] === "number" ? raw["actual-size"] : undefined,
    backingFile:
      typeof raw["backing-filename"] === "string" ? raw["backing-filename"] : undefined,
  };
}

/** Reads the format, size and backing file of an image with `qemu-img info`. */
export async function imageInfo(path: string, run: Runner = defaultRun): Promise<ImageInfo> {
  // -U: read even while a running VM holds the image's write lock.
  const result = await run(["qemu-img", "info", "-U", "--output=json", path], { allowFailure: true });
  if (result.exitCode !== 0) {
    throw new ImageError(`Not a readable disk image: "${path}": ${result.stderr.trim().split("\n").at(-1)}`);
  }
  return parseImageInfo(result.stdout);
}
