import { existsSync, lstatSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { cachePaths } from "./_cache-paths.ts";
import { ImageIndex } from "./_index.ts";

/** One image in the cache, as `image list` shows it. */
export interface ImageEntry {
  digest: string;
  path: string;
  format: string;
  size: number;
  createdAt: string;
  lastUsed: string;
  /** URLs and file:// paths whose content this is, most recently fetched first. */
  sources: string[];
  /** A trusted digest (--sha256, or a checksum not read over plain http) vouched for it (CachedImage.verified). */
  verified: boolean;
  /** Distro shortcuts whose last resolution led here. */
  references: { reference: string; arch: string }[];
  /** Instances whose overlay has this image as its base. */
  instances: string[];
}

/**
 * Lists the cached images: only complete, verified blobs (never a partial download).
 * `usage` maps a digest to the instances using it (lib/instance/image-usage.ts).
 */
export function listImages(imageDir: string, usage: ReadonlyMap<string, string[]> = new Map()): ImageEntry[] {
  const paths = cachePaths(imageDir);
  // Listing must not create a cache where there is none.
  if (!existsSync(join(paths.root, "index.sqlite"))) return [];
  const index = new ImageIndex(paths.root);
  try {
    return index
      .blobs()
      // lstat: a link at a blob's name is not an image of ours.
      .filter((blob) => lstatSync(blob.path, { throwIfNoEntry: false })?.isFile())
      .map((blob) => {
        const rows = index.sourcesOf(blob.digest);
        const sources = rows.map((s) => s.source);
        const references = sources.flatMap((s) => index.referencesTo(s).map(({ reference, arch }) => ({ reference, arch })));
        const verified = rows.some((s) => s.verified);
        return { ...blob, sources, verified, references, instances: usage.get(blob.digest) ?? [] };
      });
  } finally {
    index.close();
  }
}
