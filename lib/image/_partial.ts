import { closeSync, constants, fdatasync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, read, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "../host/posix-path.ts";
import { createReplacing, openOrReplace, openOwnFile, writeError } from "./_cache-files.ts";
import type { SourceFiles } from "./_cache-paths.ts";
import { spaceGuard } from "./_disk-space.ts";
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

// Start writeback every so often, so the final fsync has little left to flush when the
// writes go through the page cache (a file system without O_DIRECT).
const SYNC_EVERY = 256 << 20;

/**
 * A resumable download on disk: `<key>.partial` plus `<key>.json` (its URL and validators).
 * The digests always cover exactly the bytes in the file: a worker thread writes each
 * chunk, then hashes it, in order, and a resumed file is hashed from its start before
 * anything is appended. Callers await `drain()` between chunks; `size` counts the bytes
 * handed over, which the file holds once they are written (`settle()`).
 */
export class PartialFile {
  size = 0;
  meta: Meta;
  private fd: number;
  private direct: number | null;
  private hasher: ParallelHasher;
  private unsynced = 0;
  private syncing: Promise<void> | null = null;
  private checkSpace: (written: number) => void;

  private constructor(private files: SourceFiles, url: string, wantSha512: boolean, minFreeSpace?: number) {
    this.meta = { url, etag: null, lastModified: null, length: null };
    mkdirSync(dirname(files.data), { recursive: true });
    // O_APPEND: every write lands at the end, also after a truncate to restart. A link
    // or another's file at the path is replaced, never written through.
    this.fd = openOrReplace(files.data, constants.O_RDWR | constants.O_APPEND);
    this.direct = openDirect(files.data, this.fd);
    this.checkSpace = spaceGuard(files.data, minFreeSpace);
    this.hasher = new ParallelHasher(wantSha512 ? ["sha256", "sha512"] : ["sha256"], { fd: this.fd, direct: this.direct });
  }

  /**
   * Opens the partial download of `url`, hashing what an earlier run left to resume from
   * it. `minFreeSpace`: bytes to leave free on the file system (lib/image/_disk-space.ts).
   */
  static async open(files: SourceFiles, url: string, sha512: boolean, minFreeSpace?: number): Promise<PartialFile> {
    const meta = readMeta(files.meta);
    const part = new PartialFile(files, url, sha512, minFreeSpace);
    if (meta?.url !== url) {
      part.truncate();
      return part;
    }
    part.meta = meta;
    // From the descriptor, not the path: what is hashed is what the download appends to.
    for (let chunk = await readAt(part.fd, 0); chunk.byteLength > 0; chunk = await readAt(part.fd, part.size)) {
      part.size += chunk.byteLength;
      part.hasher.update(chunk);
      await part.drain();
    }
    return part;
  }

  /** Validators of the bytes already on disk, for a Range request's If-Range. */
  get validators(): Validators {
    return { etag: this.meta.etag, lastModified: this.meta.lastModified, length: this.meta.length };
  }

  /** Starts over at zero bytes for this version of the file; only once settled. */
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

  /** Appends `chunk` and takes it over (see `ParallelHasher.update`). */
  append(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    this.unsynced += chunk.byteLength;
    this.hasher.write(chunk);
    if (this.unsynced >= SYNC_EVERY && !this.syncing) this.startSync();
    this.checkSpace(this.size);
  }

  /** Waits while the ring to the writing thread is full; throws what a write failed with. */
  async drain(): Promise<void> {
    try {
      await this.hasher.drain();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Waits until the file holds all `size` bytes. */
  async settle(): Promise<void> {
    try {
      await this.hasher.settle();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Flushes the file to disk and returns its digests. */
  async finish(): Promise<{ sha256: string; sha512: string | null }> {
    await this.settle();
    await this.syncing;
    try {
      fsyncSync(this.fd);
    } catch (error) {
      throw writeError(this.files.data, error);
    }
    const [sha256, sha512] = await this.hasher.digests();
    return { sha256: sha256!, sha512: sha512 ?? null };
  }

  /** Closes the file, keeping it to resume later: what was received is written first. */
  async close(): Promise<void> {
    // After a failed write, what is on disk is what a resume can use.
    if (this.fd >= 0) await this.hasher.settle().catch(() => {});
    await this.shut();
  }

  /** Closes and deletes the download: what it holds is of no use. */
  async discard(): Promise<void> {
    await this.shut();
    discardPartial(this.files);
  }

  private async shut(): Promise<void> {
    if (this.fd < 0) return;
    await this.hasher.close();
    await this.syncing?.catch(() => {});
    closeSync(this.fd);
    if (this.direct !== null) closeSync(this.direct);
    this.fd = -1;
  }

  private truncate(): void {
    // Writes still queued would land after the truncate: callers settle first.
    if (!this.hasher.idle) throw new Error(`Restart of a download with writes in flight: "${this.files.data}"`);
    ftruncateSync(this.fd, 0);
    this.size = 0;
    this.hasher.reset();
  }

  private failed(error: unknown): never {
    throw (error as NodeJS.ErrnoException).code ? writeError(this.files.data, error) : error;
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

/**
 * A second descriptor with O_DIRECT on the same file as `fd`, or null where the file
 * system refuses it (or no Linux). Opened by path, so it must prove to be the same inode.
 */
function openDirect(path: string, fd: number): number | null {
  if (!constants.O_DIRECT) return null;
  let direct: number;
  try {
    direct = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_DIRECT | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  const [a, b] = [fstatSync(fd), fstatSync(direct)];
  if (a.dev === b.dev && a.ino === b.ino) return direct;
  closeSync(direct);
  return null;
}

/** Up to 1 MiB of the file from `position`, read on the thread pool; empty at the end. */
function readAt(fd: number, position: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(1 << 20);
  return new Promise((resolve, reject) =>
    read(fd, buffer, 0, buffer.byteLength, position, (error, n) => (error ? reject(error) : resolve(buffer.subarray(0, n)))),
  );
}

/** Deletes a source's partial download and its metadata. */
export function discardPartial(files: SourceFiles): void {
  rmSync(files.data, { force: true });
  rmSync(files.meta, { force: true });
}

function readMeta(path: string): Meta | null {
  try {
    const fd = openOwnFile(path);
    try {
      const meta = JSON.parse(readFileSync(fd, "utf8")) as Meta;
      return typeof meta.url === "string" ? meta : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function writeFileAtomic(tmp: string, path: string, text: string): void {
  const fd = createReplacing(tmp);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // rename replaces a link at `path` itself, never its target.
  renameSync(tmp, path);
}

