import { existsSync, rmSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { NotFoundError, StateError, UsageError } from "../errors.ts";
import { cachePaths, leasePath } from "./_cache-paths.ts";
import { ImageIndex, type BlobRow } from "./_index.ts";
import { tryLock } from "./_lock.ts";
import { parseReference } from "./parse-reference.ts";

/** What `image remove` and `image prune` deleted. */
export interface RemovedImage {
  digest: string;
  path: string;
  size: number;
  lastUsed: string;
  sources: string[];
  /** Instances that used it: non-empty only with --force. */
  instances: string[];
}

/** digest → names of the instances using it. */
export type ImageUsage = ReadonlyMap<string, string[]>;

/**
 * Reads the image usage from the instance records (lib/instance/image-usage.ts). Called
 * only with the image's use lease held exclusively: a `create` then either has written its
 * record already or will find the image gone and fetch it again.
 */
export type UsageReader = () => ImageUsage | Promise<ImageUsage>;

export interface RemoveOptions {
  usage?: UsageReader;
  /** Remove even while instances use it (their overlays lose their base). */
  force?: boolean;
  /** For a shortcut cached for several architectures. */
  arch?: string;
}

/**
 * Removes one cached image, named by digest (or a unique prefix of 8+ hex digits), source
 * URL, path or distro shortcut. Refuses while an instance uses it or is being created from
 * it (holds its use lease), unless forced.
 */
export async function removeImage(imageDir: string, target: string, options: RemoveOptions = {}): Promise<RemovedImage> {
  const paths = cachePaths(imageDir);
  if (!existsSync(join(paths.root, "index.sqlite"))) throw notInCache(target);
  const index = new ImageIndex(paths.root);
  try {
    const blob = findBlob(index, target, options.arch);
    const lease = tryLock(leasePath(paths, blob.digest));
    if (!lease && !options.force) throw beingCreated(blob.digest);
    try {
      const instances = (await options.usage?.())?.get(blob.digest) ?? [];
      if (instances.length > 0 && !options.force) throw inUse(blob.digest, instances);
      return { ...deleteBlob(index, blob), instances };
    } finally {
      lease?.release({ unlink: true });
    }
  } finally {
    index.close();
  }
}

function inUse(digest: string, instances: string[]): StateError {
  return new StateError(`Image in use: "sha256:${digest}": base of ${instances.map((n) => `"${n}"`).join(", ")}`, {
    code: "E_IMAGE_IN_USE",
    hint: `testcloud remove ${instances.join(" ")}  (or image remove --force, which breaks them)`,
  });
}

function beingCreated(digest: string): StateError {
  return new StateError(`Image in use: "sha256:${digest}": an instance is being created from it`, {
    code: "E_IMAGE_IN_USE",
    hint: "try again once that create has finished (image remove --force would break it)",
  });
}

/**
 * Forgets a blob in the index, then deletes its file: a crash in between leaves an
 * unlisted file, never a row that points at nothing.
 */
export function deleteBlob(index: ImageIndex, blob: BlobRow): Omit<RemovedImage, "instances"> {
  const sources = index.forget(blob.digest);
  rmSync(blob.path, { force: true });
  return { digest: blob.digest, path: blob.path, size: blob.size, lastUsed: blob.lastUsed, sources };
}

function findBlob(index: ImageIndex, target: string, arch?: string): BlobRow {
  const hex = /^(?:sha256[:-])?([0-9a-f]{8,64})$/i.exec(target.trim())?.[1]?.toLowerCase();
  if (hex) {
    const matches = index.blobs().filter((b) => b.digest.startsWith(hex));
    if (matches.length > 1) throw new UsageError(`Ambiguous digest: "${target}": matches ${matches.length} images`);
    if (matches[0]) return matches[0];
  }
  const source = sourceOf(index, target, arch);
  const row = source ? index.source(source) : null;
  const blob = row ? index.blob(row.digest) : null;
  if (!blob) throw notInCache(target);
  return blob;
}

/** The source a reference names; for a shortcut, the URL its last resolution fetched. */
function sourceOf(index: ImageIndex, target: string, arch?: string): string | null {
  const ref = parseReference(target);
  if (ref.kind === "file") return `file://${ref.path}`;
  if (ref.kind === "url") return ref.url;
  const rows = index.resolutionsOf(target).filter((r) => arch === undefined || r.arch === arch);
  if (rows.length > 1) {
    throw new UsageError(`"${target}" is cached for several architectures: ${rows.map((r) => r.arch).join(", ")}`, {
      hint: `testcloud image remove ${target} --arch ${rows[0]!.arch}`,
    });
  }
  return rows[0]?.url ?? null;
}

function notInCache(target: string): NotFoundError {
  return new NotFoundError(`Image not in the cache: "${target}"`, { code: "E_NOT_CACHED", hint: "testcloud image list" });
}
