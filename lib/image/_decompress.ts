import { closeSync, fsyncSync } from "node:fs";
import { ImageError, InterruptedError } from "../errors.ts";
import { DEFAULT_MAX_IMAGE_SIZE } from "../host/_config-schema.ts";
import { which } from "../host/run.ts";
import { createExclusive, openOwnFile, writeAll } from "./_cache-files.ts";
import { spaceGuard } from "./_disk-space.ts";
import { parseImageHeader, QCOW2_MIN_HEADER } from "./_image-header.ts";
import type { ImageProgress } from "./progress.ts";

export type Compression = "xz" | "gz";

const MAGIC: [Compression, number[]][] = [
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["gz", [0x1f, 0x8b]],
];

/** How a file is compressed, from its first bytes (URLs and names lie; magic numbers don't). */
export async function sniffCompression(path: string): Promise<Compression | null> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 8).arrayBuffer());
  const hit = MAGIC.find(([, magic]) => magic.every((byte, i) => head[i] === byte));
  return hit?.[0] ?? null;
}

export interface DecompressOptions {
  signal?: AbortSignal;
  source: string;
  onProgress?: (progress: ImageProgress) => void;
  /** Most bytes the output may have; default DEFAULT_MAX_IMAGE_SIZE. */
  maxBytes?: number;
  /** Free bytes to leave on the cache's file system (lib/image/_disk-space.ts). */
  minFreeSpace?: number;
}

/**
 * Streams `src` through `xz -dc` or `gzip -dc` into `dest` (created here, exclusively),
 * hashing the output on the way; returns its sha256 and size. A few KiB can expand to
 * terabytes: the output stops at `maxBytes`, or for a qcow2 at its declared size plus
 * room for metadata, and before the file system's free space drops below the reserve.
 */
export async function decompress(src: string, dest: string, kind: Compression, options: DecompressOptions) {
  const argv = kind === "xz" ? ["xz", "-dc", "-T0"] : ["gzip", "-dc"];
  const fd = createExclusive(dest);
  let tool: ReturnType<typeof spawnOn> | undefined;
  let result: { sha256: string; bytes: number };
  try {
    tool = spawnOn(src, argv, options.signal);
    result = await pump(tool.proc.stdout, fd, dest, options);
    fsyncSync(fd);
  } catch (error) {
    tool?.proc.kill();
    throw error;
  } finally {
    closeSync(fd);
  }
  const exitCode = await tool.proc.exited;
  if (options.signal?.aborted) throw new InterruptedError("Interrupted while decompressing");
  if (exitCode !== 0) {
    const tail = (await tool.stderr).trim().split("\n").at(-1) ?? "";
    throw new ImageError(`Cannot decompress "${options.source}": ${argv.join(" ")}: exit ${exitCode}: ${tail}`, {
      code: "E_DECOMPRESS",
    });
  }
  options.onProgress?.({ phase: "decompress", source: options.source, bytes: result.bytes, total: result.bytes, resumedFrom: 0, done: true });
  return result;
}

/**
 * Runs the tool with `src` on its stdin, from a descriptor we checked: it never opens a
 * path itself. Its stderr is read from the start, so that it never blocks on a full pipe.
 */
function spawnOn(src: string, argv: string[], signal?: AbortSignal) {
  const input = openOwnFile(src);
  try {
    const proc = Bun.spawn([which(argv[0]!), ...argv.slice(1)], { stdin: input, stdout: "pipe", stderr: "pipe", signal });
    return { proc, stderr: new Response(proc.stderr).text() };
  } finally {
    closeSync(input);
  }
}

/** Writes the tool's output to `fd` within the limits, hashing it; returns its sha256 and size. */
async function pump(output: ReadableStream<Uint8Array>, fd: number, dest: string, options: DecompressOptions) {
  const hasher = new Bun.CryptoHasher("sha256");
  const checkSpace = spaceGuard(dest, options.minFreeSpace);
  const limit = outputLimit(options);
  let bytes = 0;
  for await (const chunk of output) {
    limit.see(chunk, bytes);
    if (bytes + chunk.byteLength > limit.bytes) throw tooLarge(options.source, limit);
    writeAll(fd, dest, chunk);
    hasher.update(chunk);
    bytes += chunk.byteLength;
    checkSpace(bytes);
    options.onProgress?.({ phase: "decompress", source: options.source, bytes, resumedFrom: 0, done: false });
  }
  return { sha256: hasher.digest("hex"), bytes };
}

/** The output's limit: `maxBytes`, lowered once the first bytes show a qcow2 header. */
function outputLimit(options: DecompressOptions) {
  const head = new Uint8Array(QCOW2_MIN_HEADER);
  const state = { bytes: options.maxBytes ?? DEFAULT_MAX_IMAGE_SIZE, qcow2: 0, decided: false };
  return Object.assign(state, {
    see(chunk: Uint8Array, offset: number) {
      if (state.decided) return;
      head.set(chunk.subarray(0, QCOW2_MIN_HEADER - offset), offset);
      if (offset + chunk.byteLength < QCOW2_MIN_HEADER) return;
      state.decided = true;
      const header = parseImageHeader(head);
      if (header.format !== "qcow2" || !("virtualSize" in header)) return;
      // Data clusters never exceed the virtual size; L1/L2 and refcount tables add well under 1/8.
      const bound = header.virtualSize + Math.ceil(header.virtualSize / 8) + (64 << 20);
      if (bound < state.bytes) Object.assign(state, { bytes: bound, qcow2: header.virtualSize });
    },
  });
}

function tooLarge(source: string, limit: { bytes: number; qcow2: number }): ImageError {
  const why = limit.qcow2 ? `far more than its qcow2 header's virtual size of ${limit.qcow2} bytes` : "the limit (maxImageSize)";
  return new ImageError(`Decompressed image too large: "${source}": more than ${limit.bytes} bytes, ${why}`, {
    code: "E_DECOMPRESS_LIMIT",
    hint: limit.qcow2 ? "nothing was cached; the file is not a sane qcow2 image" : "nothing was cached; if the image is genuine, raise maxImageSize (TESTCLOUD_MAX_IMAGE_SIZE)",
  });
}
