import { closeSync, createReadStream, fsyncSync, openSync } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ImageError, NotFoundError, UsageError } from "../errors.ts";
import { imageInfo } from "../host/qemu-img.ts";
import { imagesDir } from "../host/paths.ts";
import type { Runner } from "../host/run.ts";
import { ImageIndex } from "./_index.ts";
import { downloadTo } from "./_download.ts";
import { parseReference } from "./parse-reference.ts";

/** A cached, verified image ready to be used as an overlay's base. */
export interface CachedImage {
  source: string;
  digest: string;
  format: string;
  size: number;
  path: string;
  /** True when the image came from the cache without reading the source again. */
  cached: boolean;
}

export interface FetchOptions {
  dataDir: string;
  fetch?: typeof fetch;
  run?: Runner;
  signal?: AbortSignal;
  onProgress?: (bytes: number, total?: number) => void;
}

/** Resolves an image reference and stores it in the content-addressed cache. */
export async function fetchImage(ref: string, options: FetchOptions): Promise<CachedImage> {
  const parsed = parseReference(ref);
  if (parsed.kind === "shortcut") {
    throw new UsageError(`Unknown image reference: "${ref}"`, {
      code: "E_UNKNOWN_IMAGE",
      hint: "give a path, a file:// URL or an http(s) URL to a qcow2 or raw image",
    });
  }
  const dir = imagesDir(options.dataDir);
  const index = new ImageIndex(dir);
  try {
    if (parsed.kind === "file") return await storeLocal(parsed.path, dir, index, options);
    return await storeRemote(parsed.url, dir, index, options);
  } finally {
    index.close();
  }
}

async function storeLocal(path: string, dir: string, index: ImageIndex, options: FetchOptions) {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    throw new NotFoundError(`Image file not found: "${path}"`, { code: "E_IMAGE_NOT_FOUND" });
  }
  const source = `file://${path}`;
  // A local file counts as unchanged while its size and mtime are.
  const fingerprint = `${info.size}:${info.mtimeMs}`;
  const hit = reuse(index, source, fingerprint);
  if (hit) return hit;
  return store(dir, index, source, fingerprint, options, async (tmp, signal) => {
    const writer = Bun.file(tmp).writer();
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
      hasher.update(chunk as Buffer);
      writer.write(chunk as Buffer);
    }
    await writer.end();
    return hasher.digest("hex");
  });
}

async function storeRemote(url: string, dir: string, index: ImageIndex, options: FetchOptions) {
  return store(dir, index, url, "", options, (tmp, signal) =>
    downloadTo(url, tmp, { fetch: options.fetch, signal, onProgress: options.onProgress }),
  );
}

function reuse(index: ImageIndex, source: string, fingerprint: string): CachedImage | null {
  const row = index.source(source);
  if (!row || row.fingerprint !== fingerprint) return null;
  const blob = index.blob(row.digest);
  if (!blob || !Bun.file(blob.path).size) return null;
  index.touch(blob.digest);
  return { source, digest: blob.digest, format: blob.format, size: blob.size, path: blob.path, cached: true };
}

type Writer = (tmp: string, signal?: AbortSignal) => Promise<string>;

/** Writes to a temp file, checks it is a disk image, then renames it to its digest. */
async function store(
  dir: string,
  index: ImageIndex,
  source: string,
  fingerprint: string,
  options: FetchOptions,
  write: Writer,
): Promise<CachedImage> {
  const blobs = join(dir, "blobs");
  await mkdir(blobs, { recursive: true });
  const tmp = join(blobs, `.tmp-${process.pid}-${crypto.randomUUID()}`);
  try {
    const digest = await write(tmp, options.signal);
    const info = await imageInfo(tmp, options.run);
    if (info.backingFile) throw new ImageError(`Image has a backing file: "${source}"`);
    if (info.format !== "qcow2" && info.format !== "raw") {
      throw new ImageError(`Unsupported image format: "${info.format}" in "${source}"`);
    }
    if (info.format === "raw" && !(await hasPartitionTable(tmp))) {
      throw new ImageError(`Not a disk image: "${source}": no qcow2 header and no partition table`);
    }
    const path = join(blobs, `sha256-${digest}`);
    const size = (await stat(tmp)).size;
    fsyncPath(tmp);
    await rename(tmp, path);
    index.record({ digest, format: info.format, size, path }, { source, fingerprint });
    return { source, digest, format: info.format, size, path, cached: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Flushes a file to disk so the rename that publishes it never exposes a partial file. */
function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** qemu-img calls any file "raw"; a bootable raw disk has an MBR (or GPT's protective MBR). */
async function hasPartitionTable(path: string): Promise<boolean> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 512).arrayBuffer());
  return head.length === 512 && head[510] === 0x55 && head[511] === 0xaa;
}
