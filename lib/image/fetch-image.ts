import { ImageError, NotFoundError, UsageError } from "../errors.ts";
import type { Runner } from "../host/run.ts";
import { cachePaths, leasePath } from "./_cache-paths.ts";
import { fetchFile } from "./_fetch-file.ts";
import { blobOnDisk, fetchUrl, notCached, type Cache } from "./_fetch-url.ts";
import { checkUrlPolicy } from "./_http-policy.ts";
import { ImageIndex } from "./_index.ts";
import { acquireLock } from "./_lock.ts";
import { parseReference, type ImageReference } from "./parse-reference.ts";
import type { ImageProgress } from "./progress.ts";
import { hostArch, parseArch } from "../machine/arch.ts";
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
  /**
   * True when its bytes matched a digest from a trusted channel: --sha256, or the distro's
   * checksum read over https (or from this host). False with no digest, or one read over
   * plain http from another host (allowInsecureHttp), which anyone on the path could forge.
   */
  verified: boolean;
}

export interface FetchOptions {
  /** The image cache: the imageDir setting (by default <data dir>/images). */
  imageDir: string;
  /** Expected sha256, of the file as downloaded or of the image after decompression. */
  sha256?: string;
  /** Architecture for distro shortcuts; default: this host's. */
  arch?: Arch | string;
  /**
   * create: the architecture the image is to boot as. An image the cache knows as another's
   * (a shortcut resolved for that one, or a file or URL booted as it) is refused; a file's or
   * URL's is noted, so it is never booted as another architecture's later.
   */
  bootArch?: Arch;
  /** Never touch the network: use the cache (for shortcuts, their last resolution) or fail. */
  offline?: boolean;
  /** Upstream host → base URL for shortcuts; default: TESTCLOUD_MIRRORS. */
  baseUrls?: Partial<Record<string, string>>;
  fetch?: typeof fetch;
  /** Fetch over plain http from hosts other than loopback too (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
  /** Most bytes a compressed image may expand to; default 256 GiB (lib/image/_max-image-size.ts). */
  maxImageSize?: number;
  /** Free bytes to leave on the cache's file system; default 5% of it, at most 1 GiB. */
  minFreeSpace?: number;
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
  /**
   * Return the image with its use lease held until `release()`: meanwhile `image remove`
   * refuses to delete it and `image prune` skips it. For `create`, until its record is written.
   */
  lease?: boolean;
}

/** An image fetched with `lease`: `release()` ends the lease (once; later calls do nothing). */
export interface LeasedImage extends CachedImage {
  release(): void;
}

/** Fetches with a lease that may each find the image deleted before the lease was taken. */
const LEASE_ATTEMPTS = 3;

/**
 * Gets an image into the content-addressed cache from any reference a user can give (a
 * path, file://, http(s):// or a distro shortcut) and returns the cached, verified copy.
 */
export function fetchImage(ref: string, options: FetchOptions & { lease: true }): Promise<LeasedImage>;
export function fetchImage(ref: string, options: FetchOptions): Promise<CachedImage>;
export async function fetchImage(ref: string, options: FetchOptions): Promise<CachedImage | LeasedImage> {
  const parsed = parseReference(ref);
  const sha256 = options.sha256 === undefined ? undefined : parseSha256(options.sha256);
  // Before anything is made or connected: a refused URL leaves no trace in the cache.
  if (parsed.kind === "url" && !options.offline) checkUrlPolicy(parsed.url, options);
  const paths = cachePaths(options.imageDir);
  const cache: Cache = { paths, index: new ImageIndex(paths.root) };
  try {
    for (let attempt = 1; ; attempt++) {
      const image = await fetchOnce(parsed, sha256, cache, options);
      if (options.bootArch) checkBootArch(cache.index, image, options.bootArch);
      if (!options.lease) return image;
      const lease = await acquireLock(leasePath(paths, image.digest), {
        mode: "shared",
        signal: options.signal,
        onWait: () => options.log?.(`Waiting for another testcloud process to finish removing sha256:${image.digest}`),
      });
      // A removal may have deleted the image between the fetch and the lease; none can now.
      if (stillCached(cache, image)) return { ...image, release: () => lease.release() };
      lease.release();
      if (attempt >= LEASE_ATTEMPTS) throw removedEachTime(image.digest);
      options.log?.(`sha256:${image.digest} was removed from the cache meanwhile; fetching it again`);
    }
  } finally {
    cache.index.close();
  }
}

function fetchOnce(parsed: ImageReference, sha256: string | undefined, cache: Cache, options: FetchOptions): Promise<CachedImage> {
  if (parsed.kind === "file") return fetchFile(parsed.path, sha256, cache, options);
  if (parsed.kind === "url") return fetchUrl(parsed.url, { checksum: null, sha256 }, cache, options);
  return fetchShortcut(parsed.distro, parsed.version, sha256, cache, options);
}

/** Refuses an image known to be another architecture's; notes the architecture of one not known yet. */
function checkBootArch(index: ImageIndex, image: CachedImage, arch: Arch): void {
  const known = index.blobArch(image.digest);
  if (known && known !== arch) {
    throw new UsageError(`Image is for ${known}, not ${arch}: "${image.source}" (sha256:${image.digest})`, {
      code: "E_ARCH_MISMATCH",
      hint: `add --arch ${known}; if the cache is wrong about it: testcloud image remove sha256:${image.digest}`,
    });
  }
  if (!known) index.setBlobArch(image.digest, arch, { overwrite: false });
}

/** The image is still indexed and its file still there. */
function stillCached(cache: Cache, image: CachedImage): boolean {
  const blob = cache.index.blob(image.digest);
  return blob !== null && blobOnDisk(blob);
}

function removedEachTime(digest: string): ImageError {
  return new ImageError(`Image removed from the cache while fetching it: "sha256:${digest}": ${LEASE_ATTEMPTS} times`, {
    hint: "stop running image remove or image prune against this image, then try again",
  });
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
    allowInsecureHttp: options.allowInsecureHttp,
  });
  const expected = { checksum: resolved.checksum, checksumInsecure: resolved.insecure, sha256 };
  const image = await fetchUrl(resolved.url, expected, cache, options);
  cache.index.saveResolution({ reference, arch, url: resolved.url, checksum: checksumText(resolved), insecure: resolved.insecure });
  cache.index.setBlobArch(image.digest, arch, { overwrite: true });
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
    const checksum = row.checksum ? { algorithm, value } : null;
    const image = await fetchUrl(row.url, { checksum, checksumInsecure: row.insecure, sha256 }, cache, options);
    cache.index.setBlobArch(image.digest, arch, { overwrite: true });
    return image;
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
