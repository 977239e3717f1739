import { NotFoundError, UsageError } from "../errors.ts";
import type { Runner } from "../host/run.ts";
import { cachePaths } from "./_cache-paths.ts";
import { fetchFile } from "./_fetch-file.ts";
import { fetchUrl, notCached, type Cache } from "./_fetch-url.ts";
import { ImageIndex } from "./_index.ts";
import { parseReference } from "./parse-reference.ts";
import type { ImageProgress } from "./progress.ts";
import { hostArch, parseArch } from "./resolve/_arch.ts";
import { baseUrlsFromEnv } from "./resolve/base-urls.ts";
import { resolveShortcut, type Arch, type ResolvedImage } from "./resolve/resolve-shortcut.ts";

/** A cached, verified image ready to be used as an overlay's base. */
export interface CachedImage {
  /** The URL or file:// path the bytes came from (a shortcut's resolved URL). */
  source: string;
  /** sha256 of the stored image, after decompression. */
  digest: string;
  format: string;
  size: number;
  path: string;
  /** True when the image came from the cache without downloading it again. */
  cached: boolean;
}

export interface FetchOptions {
  dataDir: string;
  /** Expected sha256, of the file as downloaded or of the image after decompression. */
  sha256?: string;
  /** Architecture for distro shortcuts; default: this host's. */
  arch?: Arch | string;
  /** Never touch the network: use the cache (for shortcuts, their last resolution) or fail. */
  offline?: boolean;
  /** Upstream host → base URL for shortcuts; default: TESTCLOUD_MIRRORS. */
  baseUrls?: Partial<Record<string, string>>;
  fetch?: typeof fetch;
  run?: Runner;
  signal?: AbortSignal;
  onProgress?: (progress: ImageProgress) => void;
  /** Told about waits for another process's download and about retries. */
  log?: (message: string) => void;
  /** Give up on a download that receives nothing for this long; default 30 s. */
  stallMs?: number;
  /** Attempts without progress before giving up on a failing server; default 5. */
  attempts?: number;
  /** First delay between attempts, doubled each time; default 1 s. */
  retryDelayMs?: number;
}

/**
 * Gets an image into the content-addressed cache from any reference a user can give (a
 * path, file://, http(s):// or a distro shortcut) and returns the cached, verified copy.
 */
export async function fetchImage(ref: string, options: FetchOptions): Promise<CachedImage> {
  const parsed = parseReference(ref);
  const sha256 = options.sha256 === undefined ? undefined : parseSha256(options.sha256);
  const paths = cachePaths(options.dataDir);
  const cache: Cache = { paths, index: new ImageIndex(paths.root) };
  try {
    if (parsed.kind === "file") return await fetchFile(parsed.path, sha256, cache, options);
    if (parsed.kind === "url") return await fetchUrl(parsed.url, { checksum: null, sha256 }, cache, options);
    return await fetchShortcut(parsed.distro, parsed.version, sha256, cache, options);
  } finally {
    cache.index.close();
  }
}

async function fetchShortcut(
  distro: string,
  version: string | undefined,
  sha256: string | undefined,
  cache: Cache,
  options: FetchOptions,
): Promise<CachedImage> {
  const reference = version ? `${distro}:${version}` : distro;
  const arch = options.arch === undefined ? hostArch() : parseArch(options.arch);
  if (options.offline) return fetchOffline(distro, version, reference, arch, sha256, cache, options);
  const resolved = await resolveShortcut(distro, version, {
    arch,
    baseUrls: options.baseUrls ?? baseUrlsFromEnv(),
    fetch: options.fetch,
    signal: options.signal,
  });
  const image = await fetchUrl(resolved.url, { checksum: resolved.checksum, sha256 }, cache, options);
  cache.index.saveResolution({ reference, arch, url: resolved.url, checksum: checksumText(resolved) });
  return image;
}

/** Offline, a shortcut cannot be resolved: its last resolution that was fetched stands in. */
async function fetchOffline(
  distro: string,
  version: string | undefined,
  reference: string,
  arch: Arch,
  sha256: string | undefined,
  cache: Cache,
  options: FetchOptions,
): Promise<CachedImage> {
  const row = cache.index.resolution(reference, arch);
  if (row) {
    const [algorithm, value] = (row.checksum ?? "").split(":") as ["sha256" | "sha512", string];
    return fetchUrl(row.url, { checksum: row.checksum ? { algorithm, value } : null, sha256 }, cache, options);
  }
  // Still tell an unknown shortcut or version apart from one that is merely not cached.
  const noNetwork = () => Promise.reject(new Error("offline"));
  const known = await resolveShortcut(distro, version, { arch, fetch: noNetwork as unknown as typeof fetch }).then(
    () => null,
    (error: unknown) => (error instanceof UsageError || (error instanceof NotFoundError && error.code === "E_UNKNOWN_VERSION") ? error : null),
  );
  throw known ?? notCached(`${reference} (${arch})`, arch === hostArch() ? reference : `${reference} --arch ${arch}`);
}

function checksumText(resolved: ResolvedImage): string | null {
  return resolved.checksum ? `${resolved.checksum.algorithm}:${resolved.checksum.value}` : null;
}

/** A user-given sha256: 64 hex digits, optionally prefixed "sha256:". */
export function parseSha256(text: string): string {
  const hex = text.trim().toLowerCase().replace(/^sha256[:-]/, "");
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UsageError(`Invalid --sha256: ${JSON.stringify(text)}: expected 64 hex digits`);
  }
  return hex;
}
