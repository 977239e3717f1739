import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** One cached image: an immutable file named by its sha256. */
export interface BlobRow {
  digest: string;
  format: string;
  size: number;
  path: string;
  lastUsed: string;
}

/** Where a reference last resolved to, so an unchanged source is not read again. */
export interface SourceRow {
  source: string;
  digest: string;
  fingerprint: string;
}

/** The image cache's index: a SQLite database in WAL mode shared by concurrent processes. */
export class ImageIndex {
  readonly db: Database;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, "index.sqlite"), { create: true });
    this.db.run("PRAGMA journal_mode = WAL");
    this.db.run("PRAGMA busy_timeout = 10000");
    this.db.run(`CREATE TABLE IF NOT EXISTS blobs (
      digest TEXT PRIMARY KEY, format TEXT NOT NULL, size INTEGER NOT NULL,
      path TEXT NOT NULL, last_used TEXT NOT NULL)`);
    this.db.run(`CREATE TABLE IF NOT EXISTS sources (
      source TEXT PRIMARY KEY, digest TEXT NOT NULL, fingerprint TEXT NOT NULL)`);
  }

  source(source: string): SourceRow | null {
    return this.db
      .query<SourceRow, [string]>("SELECT source, digest, fingerprint FROM sources WHERE source = ?")
      .get(source);
  }

  blob(digest: string): BlobRow | null {
    return this.db
      .query<BlobRow, [string]>(
        "SELECT digest, format, size, path, last_used AS lastUsed FROM blobs WHERE digest = ?",
      )
      .get(digest);
  }

  /** Records a finished blob and the source it came from, in one transaction. */
  record(blob: Omit<BlobRow, "lastUsed">, source: Omit<SourceRow, "digest">): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.run(
        "INSERT OR REPLACE INTO blobs (digest, format, size, path, last_used) VALUES (?, ?, ?, ?, ?)",
        [blob.digest, blob.format, blob.size, blob.path, now],
      );
      this.db.run("INSERT OR REPLACE INTO sources (source, digest, fingerprint) VALUES (?, ?, ?)", [
        source.source,
        blob.digest,
        source.fingerprint,
      ]);
    })();
  }

  touch(digest: string): void {
    this.db.run("UPDATE blobs SET last_used = ? WHERE digest = ?", [new Date().toISOString(), digest]);
  }

  close(): void {
    this.db.close();
  }
}
