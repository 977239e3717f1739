import { findChecksum, parseChecksums, type ChecksumEntry } from "./_checksum-files.ts";
import type { ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { escapeRegExp, newestEntry } from "./_newest.ts";
import { newestAvailable } from "./_probe.ts";

// Newest first. A bare `rocky` takes the first one the mirror has for the arch.
const KNOWN = ["10", "9"];

/**
 * Resolves `rocky[:N|latest]` to the newest dated GenericCloud-Base qcow2 in
 * `pub/rocky/<N>/images/<arch>/CHECKSUM` (not LVM, EC2, Azure or Vagrant). Without that
 * file, the `GenericCloud-Base.latest` image's own `.CHECKSUM` file is used.
 */
export async function resolveRocky(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  if (version === undefined || version === "latest") {
    const newest = await newestAvailable("Rocky Linux", KNOWN, (v) => resolveVersion(v, context));
    if (newest) return newest;
    throw noImageForArch(`Rocky Linux ${KNOWN.join(" or ")}`, context.arch, context.base("dl.rockylinux.org"));
  }
  if (!/^\d+$/.test(version)) throw unknownVersion("Rocky Linux", version, KNOWN, "testcloud image resolve rocky:9");
  const resolved = await resolveVersion(version, context);
  if (resolved) return resolved;
  throw noImageForArch(`Rocky Linux ${version}`, context.arch, `${imagesDir(version, context)}CHECKSUM`);
}

/** null when the mirror has neither the CHECKSUM file nor the `.latest` image's checksum file. */
async function resolveVersion(version: string, context: ResolveContext): Promise<Resolution | null> {
  const dir = imagesDir(version, context);
  const arch = escapeRegExp(context.arch);
  const text = await context.optionalText(`${dir}CHECKSUM`);
  if (text !== null) {
    const entries = parseChecksums(text);
    if (entries.length === 0) throw malformedIndex(`${dir}CHECKSUM`, "no checksum lines");
    // Rocky-9-GenericCloud-Base-9.8-20260525.0.x86_64.qcow2
    const pattern = new RegExp(`^Rocky-${version}-GenericCloud-Base-(${version}\\.\\d+-\\d{8}\\.\\d+)\\.${arch}\\.qcow2$`);
    const newest = newestEntry(entries, pattern);
    if (!newest) throw noImageForArch(`Rocky Linux ${version} GenericCloud-Base qcow2`, context.arch, `${dir}CHECKSUM`);
    return result(version, dir, newest.entry, `${dir}CHECKSUM`, `Build ${newest.stamp}`, context);
  }
  // Note the dot: Rocky's rolling name is "GenericCloud-Base.latest", where AlmaLinux and CentOS use "-latest".
  const latest = `Rocky-${version}-GenericCloud-Base.latest.${context.arch}.qcow2`;
  const sidecar = await context.optionalText(`${dir}${latest}.CHECKSUM`);
  if (sidecar === null) return null;
  const entry = findChecksum(parseChecksums(sidecar), latest);
  if (!entry) throw malformedIndex(`${dir}${latest}.CHECKSUM`, `no checksum line for "${latest}"`);
  const rolling = "The CHECKSUM file is missing: this is the rolling .latest image; should it change before the download, verification fails";
  return result(version, dir, entry, `${dir}${latest}.CHECKSUM`, rolling, context);
}

function result(
  version: string,
  dir: string,
  entry: ChecksumEntry,
  source: string,
  note: string,
  context: ResolveContext,
): Resolution {
  return {
    distro: "rocky",
    version,
    arch: context.arch,
    url: `${dir}${entry.file}`,
    checksum: { algorithm: entry.algorithm, value: entry.value },
    checksumSource: source,
    compression: null,
    format: "qcow2",
    notes: [note, "The checksum file's signature was not verified: the digest is as trustworthy as the HTTPS connection"],
  };
}

function imagesDir(version: string, context: ResolveContext): string {
  return `${context.base("dl.rockylinux.org")}/pub/rocky/${version}/images/${context.arch}/`;
}
