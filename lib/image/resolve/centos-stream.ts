import { findChecksum, parseChecksums, type ChecksumEntry } from "./_checksum-files.ts";
import type { ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { escapeRegExp, newestEntry } from "./_newest.ts";
import { newestAvailable } from "./_probe.ts";

// Newest first. A bare `centos-stream` takes the first one the mirror has for the arch.
const KNOWN = ["10", "9"];
const NOTE = "CentOS publishes CHECKSUM files unsigned: the digest is as trustworthy as the HTTPS connection";

/**
 * Resolves `centos-stream[:N|latest]` to the newest dated GenericCloud qcow2 of
 * `centos/<N>-stream/<arch>/images/`: from its CHECKSUM file, or, where that is missing or
 * lists no such image, from the directory listing and the image's own `.SHA256SUM` file.
 */
export async function resolveCentosStream(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  if (version === undefined || version === "latest") {
    const newest = await newestAvailable("CentOS Stream", KNOWN, (v) => resolveVersion(v, context));
    if (newest) return newest;
    throw noImageForArch(`CentOS Stream ${KNOWN.join(" or ")}`, context.arch, context.base("cloud.centos.org"));
  }
  if (!/^\d+$/.test(version)) throw unknownVersion("CentOS Stream", version, KNOWN, "testcloud image resolve centos-stream:10");
  const resolved = await resolveVersion(version, context);
  if (resolved) return resolved;
  throw noImageForArch(`CentOS Stream ${version}`, context.arch, imagesDir(version, context));
}

/** null when the mirror has neither a CHECKSUM file nor a listing for that version and arch. */
async function resolveVersion(version: string, context: ResolveContext): Promise<Resolution | null> {
  const dir = imagesDir(version, context);
  const pattern = new RegExp(
    `^CentOS-Stream-GenericCloud-${version}-(\\d{8}\\.\\d+)\\.${escapeRegExp(context.arch)}\\.qcow2$`,
  );
  const checksumUrl = `${dir}CHECKSUM`;
  const checksumText = await context.optionalText(checksumUrl);
  if (checksumText !== null) {
    const entries = parseChecksums(checksumText);
    if (entries.length === 0) throw malformedIndex(checksumUrl, "no checksum lines");
    const newest = newestEntry(entries, pattern);
    if (newest) return result(version, dir, newest.entry, newest.stamp, checksumUrl, context);
  }
  const listing = await context.optionalText(dir);
  if (listing === null) return checksumText === null ? null : fail(version, checksumUrl, context);
  return fromListing(version, dir, listing, pattern, context);
}

/** Newer composes publish one `<image>.SHA256SUM` per image instead of a CHECKSUM file. */
async function fromListing(version: string, dir: string, listing: string, pattern: RegExp, context: ResolveContext) {
  const names = [...listing.matchAll(/href="([^"?#/]+)"/g)].map((m) => decodeURIComponent(m[1]!));
  const newest = newestEntry(names.map((file) => ({ file })), pattern);
  if (!newest) return fail(version, dir, context);
  const sidecarUrl = `${dir}${newest.entry.file}.SHA256SUM`;
  const entry = findChecksum(parseChecksums(await context.text(sidecarUrl)), newest.entry.file);
  if (!entry) throw malformedIndex(sidecarUrl, `no checksum line for "${newest.entry.file}"`);
  return result(version, dir, entry, newest.stamp, sidecarUrl, context);
}

function result(
  version: string,
  dir: string,
  entry: ChecksumEntry,
  compose: string,
  source: string,
  context: ResolveContext,
): Resolution {
  return {
    distro: "centos-stream",
    version,
    arch: context.arch,
    url: `${dir}${entry.file}`,
    checksum: { algorithm: entry.algorithm, value: entry.value },
    checksumSource: source,
    compression: null,
    format: "qcow2",
    notes: [`Compose ${compose}`, NOTE],
  };
}

function fail(version: string, where: string, context: ResolveContext): never {
  throw noImageForArch(`CentOS Stream ${version} GenericCloud qcow2`, context.arch, where);
}

function imagesDir(version: string, context: ResolveContext): string {
  return `${context.base("cloud.centos.org")}/centos/${version}-stream/${context.arch}/images/`;
}
