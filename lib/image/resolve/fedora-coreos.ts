import type { ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { dig, hexDigest, httpUrl, isRecord } from "./_shape.ts";

const STREAMS = ["stable", "testing", "next"];

/**
 * Resolves `fedora-coreos[:stable|testing|next]` (`latest` is stable) from the stream
 * metadata JSON: the qemu artifact's `qcow2.xz` disk. The digest is of the compressed file.
 */
export async function resolveFedoraCoreos(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  const stream = version === undefined || version === "latest" ? "stable" : version;
  if (!STREAMS.includes(stream)) {
    throw unknownVersion("Fedora CoreOS", stream, STREAMS, "testcloud image resolve fedora-coreos:stable");
  }
  const url = `${context.base("builds.coreos.fedoraproject.org")}/streams/${stream}.json`;
  const doc = await context.json(url);
  if (!isRecord(doc) || !isRecord(doc.architectures)) throw malformedIndex(url, "expected an object with architectures");
  // A mirror that serves the wrong file must not turn "next" into "stable".
  if (doc.stream !== stream) throw malformedIndex(url, `it describes stream ${JSON.stringify(doc.stream)}, not "${stream}"`);
  const qemu = dig(doc.architectures, context.arch, "artifacts", "qemu");
  const disk = dig(qemu, "formats", "qcow2.xz", "disk");
  if (!isRecord(disk)) {
    const arches = Object.keys(doc.architectures).filter((a) => dig(doc.architectures, a, "artifacts", "qemu") !== undefined);
    throw noImageForArch(`Fedora CoreOS ${stream} qemu qcow2.xz`, context.arch, url, arches);
  }
  const release = dig(qemu, "release");
  if (typeof release !== "string") throw malformedIndex(url, `no qemu release for ${context.arch}`);
  const location = httpUrl(disk.location, url, "the disk location");
  const notes = [`The sha256 is of the .qcow2.xz as downloaded; decompress with xz before use`];
  if (disk["uncompressed-sha256"] !== undefined) {
    const uncompressed = hexDigest(disk["uncompressed-sha256"], "sha256", url, "uncompressed-sha256");
    notes.push(`uncompressed-sha256 (of the qcow2 after xz -d): ${uncompressed}`);
  }
  notes.push(
    typeof disk.signature === "string"
      ? `The image's PGP signature was not verified: ${context.rebase(httpUrl(disk.signature, url, "the signature"))}`
      : "The stream metadata lists no signature for the image",
  );
  return {
    distro: "fedora-coreos",
    version: release,
    arch: context.arch,
    url: context.rebase(location),
    checksum: { algorithm: "sha256", value: hexDigest(disk.sha256, "sha256", url, "the disk sha256") },
    checksumSource: url,
    compression: "xz",
    format: "qcow2",
    notes,
  };
}
