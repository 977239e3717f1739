import { fedoraBranches } from "./_bodhi.ts";
import { findChecksum, parseChecksums } from "./_checksum-files.ts";
import type { ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { resolveFedoraNightly } from "./_fedora-nightly.ts";
import { escapeRegExp } from "./_newest.ts";
import { hexDigest, httpUrl, isRecord } from "./_shape.ts";

/** One Cloud_Base qcow2 entry of releases.json. */
interface CloudImage {
  version: string;
  arch: string;
  link: string;
  sha256: unknown;
}

const FORMS_HINT = 'give a release number such as "fedora:41", or "fedora:latest", "fedora:rawhide", "fedora:branched"';

/**
 * Resolves `fedora`, `fedora:latest`, `fedora:NN`, `fedora:rawhide` and `fedora:branched`.
 * Releases come from fedoraproject.org/releases.json (link and sha256 per image); a
 * number that is not released yet is looked up in Bodhi and taken from openQA's nightlies.
 */
export async function resolveFedora(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  const wanted = version ?? "latest";
  if (wanted === "rawhide" || wanted === "branched") return resolveFedoraNightly(wanted, context);
  if (wanted !== "latest" && !/^\d+$/.test(wanted)) throw unknownVersion("Fedora", wanted, [], FORMS_HINT);
  const indexUrl = `${context.base("fedoraproject.org")}/releases.json`;
  const images = cloudImages(await context.json(indexUrl), indexUrl);
  // Released versions are bare numbers; pre-releases are "42 Beta".
  const released = [...new Set(images.map((i) => i.version).filter((v) => /^\d+$/.test(v)))].sort(
    (a, b) => Number(b) - Number(a),
  );
  const newest = released[0];
  if (wanted === "latest") {
    if (newest === undefined) throw malformedIndex(indexUrl, "no released Cloud_Base qcow2 image");
    return fromRelease(newest, images, indexUrl, context);
  }
  if (released.includes(wanted)) return fromRelease(wanted, images, indexUrl, context);
  const preRelease = images.find((i) => i.version.startsWith(`${wanted} `))?.version;
  if (preRelease) return fromRelease(preRelease, images, indexUrl, context);
  if (newest === undefined || Number(wanted) > Number(newest)) {
    const development = await fromDevelopment(wanted, context);
    if (development) return development;
  }
  const known = [...released].reverse().concat("rawhide", "branched");
  throw unknownVersion("Fedora", wanted, known, newest ? `testcloud image resolve fedora:${newest}` : FORMS_HINT);
}

/** The Cloud_Base qcow2 entries (not UKI, not .raw.xz, Vagrant boxes or Server_KVM). */
function cloudImages(doc: unknown, indexUrl: string): CloudImage[] {
  if (!Array.isArray(doc)) throw malformedIndex(indexUrl, "expected a JSON array of release images");
  return doc
    .filter((e) => isRecord(e) && e.subvariant === "Cloud_Base" && typeof e.link === "string" && e.link.endsWith(".qcow2"))
    .map((e: Record<string, unknown>) => {
      if (typeof e.version !== "string" || typeof e.arch !== "string") {
        throw malformedIndex(indexUrl, `entry without version or arch: ${JSON.stringify(e.link)}`);
      }
      return { version: e.version, arch: e.arch, link: httpUrl(e.link, indexUrl, "a link"), sha256: e.sha256 };
    });
}

async function fromRelease(
  version: string,
  images: CloudImage[],
  indexUrl: string,
  context: ResolveContext,
): Promise<Resolution> {
  const forVersion = images.filter((i) => i.version === version);
  // Should Cloud_Base ever list more than one qcow2 per arch, the Generic one is the cloud image.
  const image = forVersion
    .filter((i) => i.arch === context.arch)
    .sort((a, b) => Number(b.link.includes("-Generic")) - Number(a.link.includes("-Generic")))[0];
  if (!image) {
    const arches = [...new Set(forVersion.map((i) => i.arch))];
    throw noImageForArch(`Fedora ${version} Cloud_Base qcow2`, context.arch, indexUrl, arches);
  }
  const url = context.rebase(image.link);
  const notes = version.includes(" ") ? [`"${version}" is a pre-release: Fedora ${version.split(" ")[0]} is not released yet`] : [];
  const published =
    image.sha256 === undefined || image.sha256 === null
      ? await fromChecksumFile(url, context)
      : {
          value: hexDigest(image.sha256, "sha256", indexUrl, `the sha256 of ${image.link}`),
          source: indexUrl,
          note: "releases.json is not signed: the digest is as trustworthy as the HTTPS connection to fedoraproject.org",
        };
  return {
    distro: "fedora",
    version: version.replace(" ", "_"),
    arch: context.arch,
    url,
    checksum: { algorithm: "sha256", value: published.value },
    checksumSource: published.source,
    compression: null,
    format: "qcow2",
    notes: [...notes, published.note],
  };
}

/**
 * releases.json has listed images without sha256 (the 41 Beta in September 2024); the
 * release's PGP-clearsigned CHECKSUM file beside the image has it. Its name is
 * `Fedora-Cloud-<version>-<compose>-<arch>-CHECKSUM`, taken from the image's name.
 */
async function fromChecksumFile(imageUrl: string, context: ResolveContext) {
  const file = imageUrl.slice(imageUrl.lastIndexOf("/") + 1);
  const arch = escapeRegExp(context.arch);
  const match =
    new RegExp(`-(\\d+(?:_[A-Za-z]+)?)-(\\d+(?:\\.\\d+)+)\\.${arch}\\.qcow2$`).exec(file) ??
    new RegExp(`\\.${arch}-(\\d+(?:_[A-Za-z]+)?)-(\\d+(?:\\.\\d+)+)\\.qcow2$`).exec(file);
  if (!match) throw malformedIndex(imageUrl, "releases.json gives no sha256 and the image name shows no release and compose");
  const source = `${imageUrl.slice(0, imageUrl.lastIndexOf("/") + 1)}Fedora-Cloud-${match[1]}-${match[2]}-${context.arch}-CHECKSUM`;
  const entry = findChecksum(parseChecksums(await context.text(source)), file);
  if (!entry || entry.algorithm !== "sha256") throw malformedIndex(source, `no SHA256 line for "${file}"`);
  return {
    value: entry.value,
    source,
    note: "releases.json lists no sha256 for this image: the digest is from the CHECKSUM file, whose PGP signature was not verified",
  };
}

/** A number Bodhi calls rawhide or branched resolves to that nightly; any other gives null. */
async function fromDevelopment(version: string, context: ResolveContext): Promise<Resolution | null> {
  const branches = await fedoraBranches(context);
  const kind = branches.rawhide === version ? "rawhide" : branches.branched.includes(version) ? "branched" : null;
  if (!kind) return null;
  const resolved = await resolveFedoraNightly(kind, context, kind === "branched" ? version : undefined);
  return { ...resolved, notes: [`Fedora ${version} is ${kind} at present (per Bodhi)`, ...resolved.notes] };
}
