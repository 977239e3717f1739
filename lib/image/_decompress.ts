import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { ImageError, InterruptedError } from "../errors.ts";
import { which } from "../host/run.ts";
import { writeError } from "./_partial.ts";
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
}

/**
 * Streams `src` through `xz -dc` or `gzip -dc` into `dest`, hashing the output on the way;
 * returns its sha256 and size. Both are streaming: memory stays flat for any image size.
 */
export async function decompress(src: string, dest: string, kind: Compression, options: DecompressOptions) {
  const argv = kind === "xz" ? ["xz", "-dc", "-T0", "--", src] : ["gzip", "-dc", "--", src];
  const proc = Bun.spawn([which(argv[0]!), ...argv.slice(1)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    signal: options.signal,
  });
  const stderr = new Response(proc.stderr).text();
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(dest, "w");
  let bytes = 0;
  try {
    for await (const chunk of proc.stdout) {
      try {
        for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done);
      } catch (error) {
        proc.kill();
        throw writeError(dest, error);
      }
      hasher.update(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.({ phase: "decompress", source: options.source, bytes, resumedFrom: 0, done: false });
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const exitCode = await proc.exited;
  if (options.signal?.aborted) throw new InterruptedError("Interrupted while decompressing");
  if (exitCode !== 0) {
    const tail = (await stderr).trim().split("\n").at(-1) ?? "";
    throw new ImageError(`Cannot decompress "${options.source}": ${argv.join(" ")}: exit ${exitCode}: ${tail}`, {
      code: "E_DECOMPRESS",
    });
  }
  options.onProgress?.({ phase: "decompress", source: options.source, bytes, total: bytes, resumedFrom: 0, done: true });
  return { sha256: hasher.digest("hex"), bytes };
}
