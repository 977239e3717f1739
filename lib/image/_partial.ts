import { closeSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ImageError } from "../errors.ts";
import type { SourceFiles } from "./_cache-paths.ts";
import { ParallelHasher } from "./_hasher.ts";

/** What identifies the upstream version of a file: resuming needs the same one. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
  /** Full size in bytes, when the server said. */
  length: number | null;
}

interface Meta extends Validators {
  url: string;
}

// Start writeback every so often, so the final fsync has little left to flush and a
// crash loses at most this much of a resumable download.
const SYNC_EVERY = 256 << 20;

/**
 * A resumable download on disk: `<key>.partial` plus `<key>.json` (its URL and validators).
 * The digests always cover exactly the bytes in the file: a chunk is hashed only after it
 * was written, and a resumed file is hashed from its start before anything is appended.
 * Hashing runs on another thread; callers await `drain()` between chunks.
 */
export class PartialFile {
  size = 0;
  meta: Meta;
  private fd: number;
  private hasher: ParallelHasher;
  private unsynced = 0;
  private syncing: Promise<void> | null = null;

  private constructor(private files: SourceFiles, url: string, wantSha512: boolean) {
    this.meta = { url, etag: null, lastModified: null, length: null };
    this.hasher = new ParallelHasher(wantSha512 ? ["sha256", "sha512"] : ["sha256"]);
    mkdirSync(dirname(files.data), { recursive: true });
    // O_APPEND: every write lands at the end, also after a truncate to restart.
    this.fd = openSync(files.data, "a");
  }

  /** Opens the partial download of `url`, hashing what an earlier run left to resume from it. */
  static async open(files: SourceFiles, url: string, sha512: boolean): Promise<PartialFile> {
    const meta = await readMeta(files.meta);
    const part = new PartialFile(files, url, sha512);
    if (meta?.url !== url) {
      part.truncate();
      return part;
    }
    part.meta = meta;
    for await (const chunk of Bun.file(files.data).stream()) {
      part.hash(chunk);
      await part.drain();
    }
    return part;
  }

  /** Validators of the bytes already on disk, for a Range request's If-Range. */
  get validators(): Validators {
    return { etag: this.meta.etag, lastModified: this.meta.lastModified, length: this.meta.length };
  }

  /** Starts over at zero bytes for this version of the file. */
  restart(validators: Validators): void {
    this.truncate();
    this.describe(validators);
  }

  /** Records which upstream version the bytes belong to, before the first byte is written. */
  describe(validators: Validators): void {
    this.meta = { url: this.meta.url, ...validators };
    try {
      writeFileAtomic(`${this.files.meta}.${process.pid}.tmp`, this.files.meta, JSON.stringify(this.meta) + "\n");
    } catch (error) {
      throw writeError(this.files.meta, error);
    }
  }

  append(chunk: Uint8Array): void {
    try {
      for (let done = 0; done < chunk.byteLength; ) done += writeSync(this.fd, chunk, done);
    } catch (error) {
      throw writeError(this.files.data, error);
    }
    this.unsynced += chunk.byteLength;
    this.hash(chunk);
    if (this.unsynced >= SYNC_EVERY && !this.syncing) this.startSync();
  }

  /** Waits while too many written bytes are still queued for hashing. */
  drain(): Promise<void> {
    return this.hasher.drain();
  }

  /** Flushes the file to disk and returns its digests. */
  async finish(): Promise<{ sha256: string; sha512: string | null }> {
    await this.syncing;
    try {
      fsyncSync(this.fd);
    } catch (error) {
      throw writeError(this.files.data, error);
    }
    const [sha256, sha512] = await this.hasher.digests();
    return { sha256: sha256!, sha512: sha512 ?? null };
  }

  /** Closes the file, keeping it to resume later. */
  async close(): Promise<void> {
    this.hasher.close();
    await this.syncing?.catch(() => {});
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Closes and deletes the download: what it holds is of no use. */
  async discard(): Promise<void> {
    await this.close();
    discardPartial(this.files);
  }

  /** Hashes a chunk already on disk; its buffer goes to the hashing thread. */
  private hash(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    this.hasher.update(chunk);
  }

  private truncate(): void {
    ftruncateSync(this.fd, 0);
    this.size = 0;
    this.hasher.reset();
  }

  private startSync(): void {
    this.unsynced = 0;
    const fd = this.fd;
    // Runs on a worker thread while the download goes on; close() waits for it.
    this.syncing = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).finally(() => {
      this.syncing = null;
    });
  }
}

/** Deletes a source's partial download and its metadata. */
export function discardPartial(files: SourceFiles): void {
  rmSync(files.data, { force: true });
  rmSync(files.meta, { force: true });
}

async function readMeta(path: string): Promise<Meta | null> {
  try {
    const meta = (await Bun.file(path).json()) as Meta;
    return typeof meta.url === "string" ? meta : null;
  } catch {
    return null;
  }
}

function writeFileAtomic(tmp: string, path: string, text: string): void {
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** A write that failed; a full disk gets its own code, since the fix is to free space. */
export function writeError(path: string, error: unknown): ImageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new ImageError(`No space left for the image cache: "${dirname(dirname(path))}"`, {
      code: "E_DISK_FULL",
      hint: "free space, or remove unused images: testcloud image prune",
      cause: error,
    });
  }
  return new ImageError(`Cannot write the image cache: "${path}": ${(error as Error).message}`, { cause: error });
}
