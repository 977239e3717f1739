import type { Arch, ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { parseJson } from "./_fetch-text.ts";
import { newestAvailable } from "./_probe.ts";
import { dig, isRecord } from "./_shape.ts";

// Release numbers and codenames, newest first. A bare `debian` takes the newest one whose
// `latest/` index the mirror has (13 since trixie's cloud images; 12 in the test fixtures).
const RELEASES: { number: string; codename: string }[] = [
  { number: "13", codename: "trixie" },
  { number: "12", codename: "bookworm" },
  { number: "11", codename: "bullseye" },
];
const ARCH: Partial<Record<Arch, string>> = { x86_64: "amd64", aarch64: "arm64", ppc64le: "ppc64el" };

/**
 * Resolves `debian[:N|CODENAME|latest]` to the genericcloud qcow2 of `<codename>/latest/`,
 * from that image's JSON manifest: a dated (immutable) URL and its sha512.
 */
export async function resolveDebian(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  const debArch = ARCH[context.arch];
  if (version === undefined || version === "latest") {
    const newest = debArch && (await newestAvailable("Debian", RELEASES.map((r) => r.number), (n) => resolveRelease(n, debArch, context)));
    if (newest) return newest;
    throw noImageForArch("Debian genericcloud", context.arch, `${context.base("cloud.debian.org")}/images/cloud/`);
  }
  const release = RELEASES.find((r) => r.number === version || r.codename === version);
  if (!release) {
    const known = RELEASES.map((r) => `${r.number} (${r.codename})`);
    throw unknownVersion("Debian", version, known, `testcloud image resolve debian:${RELEASES[0]!.number}`);
  }
  const what = `Debian ${release.number} genericcloud`;
  if (!debArch) throw noImageForArch(what, context.arch, `${context.base("cloud.debian.org")}/images/cloud/${release.codename}/latest/`);
  const resolved = await resolveRelease(release.number, debArch, context);
  if (resolved) return resolved;
  throw noImageForArch(what, context.arch, manifestUrl(release, debArch, context));
}

/** null when the mirror has no manifest for that release and arch. */
async function resolveRelease(number: string, debArch: string, context: ResolveContext): Promise<Resolution | null> {
  const release = RELEASES.find((r) => r.number === number)!;
  const url = manifestUrl(release, debArch, context);
  const text = await context.optionalText(url);
  if (text === null) return null;
  const upload = qcow2Upload(parseJson(text, url), url);
  const ref = dig(upload, "data", "ref");
  const build = dig(upload, "metadata", "labels", "cloud.debian.org/version");
  const root = `${context.base("cloud.debian.org")}/images/cloud/`;
  // `ref` is a plain path relative to images/cloud/; refuse anything that could leave it.
  if (typeof ref !== "string" || !/^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/.test(ref) || ref.split("/").includes("..")) {
    throw malformedIndex(url, `the qcow2 upload has no usable data.ref: ${JSON.stringify(ref)}`);
  }
  return {
    distro: "debian",
    version: number,
    arch: context.arch,
    url: `${root}${ref}`,
    checksum: { algorithm: "sha512", value: sha512Hex(dig(upload, "metadata", "annotations", "cloud.debian.org/digest"), url) },
    checksumSource: url,
    compression: null,
    format: "qcow2",
    notes: [
      ...(typeof build === "string" ? [`Build ${build}`] : []),
      "The image manifest is not signed (SHA512SUMS.sign was not checked): the digest is as trustworthy as the HTTPS connection",
    ],
  };
}

function qcow2Upload(doc: unknown, url: string): Record<string, unknown> {
  const items = dig(doc, "items");
  if (!Array.isArray(items)) throw malformedIndex(url, "expected an object with an items array");
  const upload = items.find(
    (item) => dig(item, "kind") === "Upload" && dig(item, "metadata", "labels", "upload.cloud.debian.org/image-format") === "qcow2",
  );
  if (!isRecord(upload)) throw malformedIndex(url, "no Upload item in qcow2 format");
  return upload;
}

/** Debian writes `sha512:` and the raw digest in unpadded standard base64. */
function sha512Hex(value: unknown, url: string): string {
  const match = typeof value === "string" ? /^sha512:([A-Za-z0-9+/]{86})={0,2}$/.exec(value) : null;
  if (!match) throw malformedIndex(url, `the qcow2 upload's digest is not "sha512:<base64>": ${JSON.stringify(value)}`);
  return Buffer.from(match[1]!, "base64").toString("hex");
}

function manifestUrl(release: { number: string; codename: string }, debArch: string, context: ResolveContext): string {
  const dir = `${context.base("cloud.debian.org")}/images/cloud/${release.codename}/latest`;
  return `${dir}/debian-${release.number}-genericcloud-${debArch}.json`;
}
