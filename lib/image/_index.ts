import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { ImageError } from "../errors.ts";
import { openDatabase, sqliteBusy } from "./_cache-files.ts";

/** One cached image: an immutable file named by its sha256. */
export interface BlobRow {
  digest: string;
  format: string;
  size: number;
  path: string;
  createdAt: string;
  lastUsed: string;
}

/** Where a source (URL or file:// path) last resolved to, and how to tell whether it changed. */
export interface SourceRow {
  source: string;
  digest: string;
  /** A local file's "size:mtime"; "" for URLs. */
  fingerprint: string;
  etag: string | null;
  lastModified: string | null;
  length: number | null;
  /** The published or user-given checksum the download was verified against, "sha256:hex". */
  checksum: string | null;
  /** sha256 of the bytes as fetched (before decompression). */
  fetchedSha256: string;
  fetchedAt: string;
  /**
   * The bytes matched a digest from a trusted channel: the user's --sha256, or the distro's
   * checksum read over https (or from this host). Not when it came over plain http.
   */
  verified: boolean;
}

/** The last resolution of a distro shortcut that was fetched, for --offline. */
export interface ResolutionRow {
  reference: string;
  arch: string;
  url: string;
  checksum: string | null;
  resolvedAt: string;
  /** The index or checksum was read over plain http from another host: the checksum proves nothing. */
  insecure: boolean;
}

const TABLES: Record<string, string[]> = {
  blobs: [
    "digest TEXT PRIMARY KEY",
    "format TEXT NOT NULL",
    "size INTEGER NOT NULL",
    "path TEXT NOT NULL",
    "last_used TEXT NOT NULL",
    "created_at TEXT NOT NULL DEFAULT ''",
    // The architecture the image is known to be for ("" while unknown): see setBlobArch.
    "arch TEXT NOT NULL DEFAULT ''",
  ],
  sources: [
    "source TEXT PRIMARY KEY",
    "digest TEXT NOT NULL",
    "fingerprint TEXT NOT NULL",
    "etag TEXT",
    "last_modified TEXT",
    "length INTEGER",
    "checksum TEXT",
    "fetched_sha256 TEXT NOT NULL DEFAULT ''",
    "fetched_at TEXT NOT NULL DEFAULT ''",
    // 0 for rows of older versions, which trusted any checksum: unknown is not verified.
    "verified INTEGER NOT NULL DEFAULT 0",
  ],
  resolutions: [
    "reference TEXT NOT NULL",
    "arch TEXT NOT NULL",
    "url TEXT NOT NULL",
    "checksum TEXT",
    "resolved_at TEXT NOT NULL",
    "insecure INTEGER NOT NULL DEFAULT 0",
  ],
};

const SOURCE_COLUMNS = `source, digest, fingerprint, etag, last_modified AS lastModified, length, checksum,
  fetched_sha256 AS fetchedSha256, fetched_at AS fetchedAt, verified`;
const RESOLUTION_COLUMNS = "reference, arch, url, checksum, resolved_at AS resolvedAt, insecure";
/** A row as SQLite returns it: booleans are 0 or 1. */
type Stored<T, K extends keyof T> = Omit<T, K> & Record<K, number>;

/** How long a statement waits for another process's lock on the index. */
const BUSY_TIMEOUT_MS = 10_000;

const BLOB_COLUMNS = "digest, format, size, path, created_at AS createdAt, last_used AS lastUsed";

/** The image cache's index: a SQLite database in WAL mode shared by concurrent processes. */
export class ImageIndex {
  readonly db: Database;
  readonly path: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, "index.sqlite");
    try {
      this.db = openDatabase(this.path);
      this.db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      useWal(this.db);
      this.migrate();
    } catch (error) {
      if (error instanceof ImageError) throw error;
      // Still locked after the busy timeout: another process holds it, the file is fine.
      if (sqliteBusy(error)) throw busy(this.path, error);
      throw corrupt(this.path, error);
    }
  }

  /**
   * Creates missing tables and adds columns an older testcloud did not have; an index that
   * has them all is only read. Every transaction that writes begins IMMEDIATE: it waits
   * (busy_timeout) for the write lock before it reads, where a deferred one that read first
   * would fail with "database is locked" if another process wrote meanwhile
   * (SQLITE_BUSY_SNAPSHOT, which no busy timeout retries).
   */
  private migrate(): void {
    if (this.missingColumns().length === 0) return;
    this.db.transaction(() => {
      for (const [table, columns] of this.missingColumns()) {
        const key = table === "resolutions" ? ", PRIMARY KEY (reference, arch)" : "";
        this.db.run(`CREATE TABLE IF NOT EXISTS ${table} (${columns.join(", ")}${key})`);
        const have = this.columnsOf(table);
        for (const column of columns) {
          if (!have.has(column.split(" ")[0]!)) this.db.run(`ALTER TABLE ${table} ADD COLUMN ${column}`);
        }
      }
    }).immediate();
  }

  /** Each table that lacks a column of TABLES, with all its columns. */
  private missingColumns(): [string, string[]][] {
    return Object.entries(TABLES).filter(([table, columns]) => {
      const have = this.columnsOf(table);
      return columns.some((column) => !have.has(column.split(" ")[0]!));
    });
  }

  private columnsOf(table: string): Set<string> {
    return new Set(this.db.query<{ name: string }, []>(`PRAGMA table_info(${table})`).all().map((c) => c.name));
  }

  source(source: string): SourceRow | null {
    const row = this.db.query<Stored<SourceRow, "verified">, [string]>(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE source = ?`).get(source);
    return row && { ...row, verified: row.verified === 1 };
  }

  sourcesOf(digest: string): SourceRow[] {
    return this.db
      .query<Stored<SourceRow, "verified">, [string]>(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE digest = ? ORDER BY fetched_at DESC`)
      .all(digest)
      .map((row) => ({ ...row, verified: row.verified === 1 }));
  }

  blob(digest: string): BlobRow | null {
    return this.db.query<BlobRow, [string]>(`SELECT ${BLOB_COLUMNS} FROM blobs WHERE digest = ?`).get(digest);
  }

  /** The architecture a blob is known to be for, or null. */
  blobArch(digest: string): string | null {
    return this.db.query<{ arch: string }, [string]>("SELECT arch FROM blobs WHERE digest = ?").get(digest)?.arch || null;
  }

  /**
   * Notes a blob's architecture: what a shortcut resolved for (`overwrite`: the distro says
   * so), or what a file or URL was first booted as (kept if one is known already).
   */
  setBlobArch(digest: string, arch: string, options: { overwrite: boolean }): void {
    const where = options.overwrite ? "digest = ?" : "digest = ? AND arch = ''";
    this.db.run(`UPDATE blobs SET arch = ? WHERE ${where}`, [arch, digest]);
  }

  blobs(): BlobRow[] {
    return this.db.query<BlobRow, []>(`SELECT ${BLOB_COLUMNS} FROM blobs ORDER BY last_used DESC`).all();
  }

  resolution(reference: string, arch: string): ResolutionRow | null {
    return this.resolutions("reference = ? AND arch = ?", [reference, arch])[0] ?? null;
  }

  /** The last resolutions of a shortcut, one per architecture. */
  resolutionsOf(reference: string): ResolutionRow[] {
    return this.resolutions("reference = ? ORDER BY arch", [reference]);
  }

  /** Shortcut references whose last resolution points at `url`. */
  referencesTo(url: string): ResolutionRow[] {
    return this.resolutions("url = ? ORDER BY reference", [url]);
  }

  private resolutions(where: string, values: string[]): ResolutionRow[] {
    return this.db
      .query<Stored<ResolutionRow, "insecure">, string[]>(`SELECT ${RESOLUTION_COLUMNS} FROM resolutions WHERE ${where}`)
      .all(...values)
      .map((row) => ({ ...row, insecure: row.insecure === 1 }));
  }

  saveResolution(row: Omit<ResolutionRow, "resolvedAt">): void {
    this.db.run(
      "INSERT OR REPLACE INTO resolutions (reference, arch, url, checksum, resolved_at, insecure) VALUES (?, ?, ?, ?, ?, ?)",
      [row.reference, row.arch, row.url, row.checksum, new Date().toISOString(), row.insecure ? 1 : 0],
    );
  }

  /** Records a finished blob and the source it came from, in one transaction. */
  record(blob: Omit<BlobRow, "lastUsed" | "createdAt">, source: Omit<SourceRow, "digest" | "fetchedAt">): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.run(
        `INSERT INTO blobs (digest, format, size, path, last_used, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (digest) DO UPDATE SET format = excluded.format, size = excluded.size,
           path = excluded.path, last_used = excluded.last_used`,
        [blob.digest, blob.format, blob.size, blob.path, now, now],
      );
      this.db.run(
        `INSERT OR REPLACE INTO sources (source, digest, fingerprint, etag, last_modified, length, checksum,
           fetched_sha256, fetched_at, verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [source.source, blob.digest, source.fingerprint, source.etag, source.lastModified, source.length,
          source.checksum, source.fetchedSha256, now, source.verified ? 1 : 0],
      );
    }).immediate();
  }

  /** Marks a source as just confirmed unchanged (a 304), and its blob as used. */
  confirm(source: string, digest: string): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.run("UPDATE sources SET fetched_at = ? WHERE source = ?", [now, source]);
      this.db.run("UPDATE blobs SET last_used = ? WHERE digest = ?", [now, digest]);
    }).immediate();
  }

  /** Records that a trusted digest vouched for a source's bytes after all. */
  markVerified(source: string): void {
    this.db.run("UPDATE sources SET verified = 1 WHERE source = ?", [source]);
  }

  touch(digest: string): void {
    this.db.run("UPDATE blobs SET last_used = ? WHERE digest = ?", [new Date().toISOString(), digest]);
  }

  /** Forgets a blob and every source and resolution leading to it; returns the sources forgotten. */
  forget(digest: string): string[] {
    return this.db.transaction(() => {
      const sources = this.sourcesOf(digest).map((s) => s.source);
      for (const source of sources) this.db.run("DELETE FROM resolutions WHERE url = ?", [source]);
      this.db.run("DELETE FROM sources WHERE digest = ?", [digest]);
      this.db.run("DELETE FROM blobs WHERE digest = ?", [digest]);
      return sources;
    }).immediate();
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Puts the index in WAL mode (kept in the file: the first process to open a new index
 * switches it). Two processes doing so at once, two creates on a new host, could fail here
 * with "database is locked" despite the busy timeout (seen in CI, and in up to 1 of 3 pairs
 * of `image pull`s into new caches on a loaded machine), so it is tried again until then.
 */
function useWal(db: Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.run("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      if (!sqliteBusy(error) || Date.now() > deadline) throw error;
      Bun.sleepSync(10);
    }
  }
}

function busy(path: string, error: unknown): ImageError {
  return new ImageError(`Image cache index is busy: "${path}": another testcloud process has held it for ${BUSY_TIMEOUT_MS / 1000} s`, {
    hint: "try again once the other testcloud command is done",
    cause: error,
  });
}

function corrupt(path: string, error: unknown): ImageError {
  return new ImageError(`Image cache index is unreadable: "${path}": ${(error as Error).message}`, {
    code: "E_CACHE_CORRUPT",
    hint: `move it aside (mv ${path} ${path}.bad); cached images are re-indexed when pulled again`,
    cause: error,
  });
}
