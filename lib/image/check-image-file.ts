import { closeSync, openSync, readSync } from "node:fs";
import { ImageError } from "../errors.ts";
import { imageInfo, type ImageInfo } from "../host/qemu-img.ts";
import type { Runner } from "../host/run.ts";
import { MAX_HEADER_BYTES, parseImageHeader } from "./_image-header.ts";

/** A disk image testcloud can use as a base: self-contained qcow2 or raw. */
export interface CheckedImage {
  format: "qcow2" | "raw";
  virtualSize: number;
}

export interface CheckImageOptions {
  /** What to name in errors (the URL the image came from); default: the path. */
  source?: string;
  /** Require a raw image to have a partition table, as a bootable disk does; default true. */
  bootable?: boolean;
}

/**
 * Checks that a file is a qcow2 or raw disk image that references no other file (no
 * backing file, no external data file, no vmdk extents), reading its header before
 * qemu-img opens it, so no referenced host file is ever opened. Throws an ImageError.
 */
export async function checkImageFile(path: string, run?: Runner, options: CheckImageOptions = {}): Promise<CheckedImage> {
  const source = options.source ?? path;
  const head = readHead(path);
  const header = parseImageHeader(head);
  if ("foreign" in header) throw unsupported(header.format, source);
  if (header.format === "qcow2") {
    if (header.backingFile !== null) throw referencesFile(source, `backing file "${header.backingFile}"`);
    if (header.dataFile !== null) throw referencesFile(source, `external data file "${header.dataFile || "(unnamed)"}"`);
  } else if ((options.bootable ?? true) && !hasPartitionTable(head)) {
    throw new ImageError(`Not a disk image: "${source}": no qcow2 header and no partition table`, { code: "E_NOT_AN_IMAGE" });
  }
  // The format is given, so qemu-img does not probe; what it reports is checked again.
  const info = await imageInfo(path, run, header.format as CheckedImage["format"]);
  checkInfo(info, source);
  return { format: info.format as CheckedImage["format"], virtualSize: info.virtualSize };
}

function checkInfo(info: ImageInfo, source: string): void {
  if (info.backingFile) throw referencesFile(source, `backing file "${info.backingFile}"`);
  if (info.dataFile) throw referencesFile(source, `external data file "${info.dataFile}"`);
  if (info.format !== "qcow2" && info.format !== "raw") throw unsupported(info.format, source);
}

/** The first cluster at most: qcow2 keeps its header extensions there. */
function readHead(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new ImageError(`Not a readable disk image: "${path}": ${(error as Error).message}`, { cause: error });
  }
  try {
    const buffer = new Uint8Array(MAX_HEADER_BYTES);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, length);
    return buffer.subarray(0, length);
  } catch (error) {
    throw new ImageError(`Not a readable disk image: "${path}": ${(error as Error).message}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

/** qemu-img calls any file "raw"; a bootable raw disk has an MBR (or GPT's protective MBR). */
function hasPartitionTable(head: Uint8Array): boolean {
  return head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa;
}

function referencesFile(source: string, what: string): ImageError {
  return new ImageError(`Image references another file: "${source}": ${what}`, {
    code: "E_IMAGE_REFERENCES_FILE",
    hint: "testcloud uses only self-contained qcow2 or raw images: no backing file, no data file",
  });
}

function unsupported(format: string, source: string): ImageError {
  return new ImageError(`Unsupported image format: "${format}" in "${source}": expected qcow2 or raw`, { code: "E_IMAGE_FORMAT" });
}
