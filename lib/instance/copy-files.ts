import type { Virsh } from "../libvirt/virsh.ts";
import { download } from "./_copy-download.ts";
import { upload } from "./_copy-upload.ts";
import type { CopiedFile, CopyProgress } from "./_copy-types.ts";
import type { CopyRequest } from "./copy-request.ts";
import { resolveSshTarget } from "./ssh-target.ts";

export type { CopiedFile, CopyProgress } from "./_copy-types.ts";

/** The JSON document of `cp`. */
export interface CopyResult {
  name: string;
  direction: "upload" | "download";
  files: CopiedFile[];
  /** Bytes of all files copied. */
  bytes: number;
  seconds: number;
}

export interface CopyOptions {
  conn: Virsh;
  dataDir: string;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
}

/**
 * Copies files or trees between the host and a running instance over ssh, with the
 * instance's key and pinned host key. Each source lands whole or not at all: data goes
 * to a temporary name beside its destination and is renamed only once its bytes are
 * counted and checked. Sources are copied in order; a failure stops the rest.
 */
export async function copyFiles(request: CopyRequest, options: CopyOptions): Promise<CopyResult> {
  const started = performance.now();
  const io = {
    target: () => resolveSshTarget(options.conn, options.dataDir, request.name),
    signal: options.signal,
    onProgress: options.onProgress,
  };
  const files = request.direction === "upload" ? await upload(request, io) : await download(request, io);
  return {
    name: request.name,
    direction: request.direction,
    files,
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
