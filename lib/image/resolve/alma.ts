import { parseChecksums } from "./_checksum-files.ts";
import type { ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { escapeRegExp, newestEntry } from "./_newest.ts";
import { newestAvailable } from "./_probe.ts";

// Newest first. A bare `alma` takes the first one the mirror has for the arch.
const KNOWN = ["10", "9"];

/**
 * Resolves `alma[:N|latest]` (alias `almalinux`) to the newest dated GenericCloud qcow2 in
 * `almalinux/<N>/cloud/<arch>/images/CHECKSUM` (GNU style despite its name), skipping
 * the ext4 and OpenNebula variants.
 */
export async function resolveAlma(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  if (version === undefined || version === "latest") {
    const newest = await newestAvailable("AlmaLinux", KNOWN, (v) => resolveVersion(v, context));
    if (newest) return newest;
    throw noImageForArch(`AlmaLinux ${KNOWN.join(" or ")}`, context.arch, context.base("repo.almalinux.org"));
  }
  if (!/^\d+$/.test(version)) throw unknownVersion("AlmaLinux", version, KNOWN, "testcloud image resolve alma:9");
  const resolved = await resolveVersion(version, context);
  if (resolved) return resolved;
  throw noImageForArch(`AlmaLinux ${version}`, context.arch, checksumUrl(version, context));
}

/** null when the mirror has no CHECKSUM file for that version and arch. */
async function resolveVersion(version: string, context: ResolveContext): Promise<Resolution | null> {
  const url = checksumUrl(version, context);
  const text = await context.optionalText(url);
  if (text === null) return null;
  const entries = parseChecksums(text);
  if (entries.length === 0) throw malformedIndex(url, "no checksum lines");
  // AlmaLinux-9-GenericCloud-9.8-20260526.x86_64.qcow2; "-latest" is the same file under a rolling name.
  const pattern = new RegExp(
    `^AlmaLinux-${version}-GenericCloud-(${version}\\.\\d+-\\d{8}(?:\\.\\d+)?)\\.${escapeRegExp(context.arch)}\\.qcow2$`,
  );
  const newest = newestEntry(entries, pattern);
  if (!newest) throw noImageForArch(`AlmaLinux ${version} GenericCloud qcow2`, context.arch, url);
  return {
    distro: "alma",
    version,
    arch: context.arch,
    url: `${url.slice(0, -"CHECKSUM".length)}${newest.entry.file}`,
    checksum: { algorithm: newest.entry.algorithm, value: newest.entry.value },
    checksumSource: url,
    compression: null,
    format: "qcow2",
    notes: [`Build ${newest.stamp}`, "CHECKSUM's signature (CHECKSUM.asc) was not verified: the digest is as trustworthy as the HTTPS connection"],
  };
}

function checksumUrl(version: string, context: ResolveContext): string {
  return `${context.base("repo.almalinux.org")}/almalinux/${version}/cloud/${context.arch}/images/CHECKSUM`;
}
