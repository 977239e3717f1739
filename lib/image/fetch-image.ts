import { ImageError, NotFoundError, UsageError } from "../errors.ts";
import { baseUrlsFromEnv } from "../host/base-urls.ts";
import { cachePaths, leasePath } from "./_cache-paths.ts";
import { fetchFile } from "./_fetch-file.ts";
import { blobOnDisk, fetchUrl, notCached, type Cache } from "./_fetch-url.ts";
import { checkUrlPolicy } from "./_http-policy.ts";
import { ImageIndex } from "./_index.ts";
import { acquireLock } from "./_lock.ts";
import { parseReference, type ImageReference } from "./parse-reference.ts";
import type { CachedImage, FetchOptions } from "./_types.ts";
import { hostArch, parseArch } from "../machine/arch.ts";
import { resolveShortcut, type Arch, type ResolvedImage } from "./resolve/resolve-shortcut.ts";

export type { CachedImage, FetchOptions } from "./_types.ts";

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
    retryDelayMs: options.retryDelayMs,
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
  const known = await resolveShortcut(distro, version, { arch, offline: true }).then(
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
