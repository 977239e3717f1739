import { NotFoundError } from "../../errors.ts";
import { parseChecksums } from "./_checksum-files.ts";
import type { Arch, ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch, unknownVersion } from "./_errors.ts";
import { escapeRegExp } from "./_newest.ts";
import { isRecord } from "./_shape.ts";

interface UbuntuRelease {
  version: string;
  codename: string;
  aliases: string[];
  supported: boolean;
}

const ARCH: Record<Arch, string> = { x86_64: "amd64", aarch64: "arm64", ppc64le: "ppc64el", s390x: "s390x" };
const CATALOGUE = "/releases/streams/v1/com.ubuntu.cloud:released:download.json";

/**
 * Resolves `ubuntu[:NN.NN|CODENAME|latest|lts]` (bare and `latest` mean the newest LTS) to
 * the server cloud image of `releases/<codename>/release/` and its line in that
 * directory's SHA256SUMS. Numbers and LTS are mapped to codenames by the simplestreams
 * catalogue; a codename goes straight to its directory.
 */
export async function resolveUbuntu(version: string | undefined, context: ResolveContext): Promise<Resolution> {
  const wanted = version === undefined || version === "latest" ? "lts" : version;
  if (/^[a-z]+$/.test(wanted) && wanted !== "lts") {
    const resolved = await fromReleaseDir(wanted, undefined, context);
    if (resolved) return resolved;
    const known = await catalogue(context).then(supportedList, () => []);
    throw unknownVersion("Ubuntu", wanted, known, "testcloud image resolve ubuntu:lts");
  }
  const releases = await catalogue(context);
  const release = releases.find((r) => r.version === wanted || r.aliases.includes(wanted));
  if (!release) throw unknownVersion("Ubuntu", wanted, supportedList(releases), "testcloud image resolve ubuntu:lts");
  if (!release.supported) {
    throw new NotFoundError(`Ubuntu ${release.version} (${release.codename}) is no longer supported`, {
      code: "E_UNKNOWN_VERSION",
      hint: `supported: ${supportedList(releases).join(", ")}`,
    });
  }
  return (await fromReleaseDir(release.codename, release.version, context, true))!;
}

/** Releases named in the catalogue, whatever their architecture. */
async function catalogue(context: ResolveContext): Promise<UbuntuRelease[]> {
  const url = `${context.base("cloud-images.ubuntu.com")}${CATALOGUE}`;
  const doc = await context.json(url);
  if (!isRecord(doc) || !isRecord(doc.products)) throw malformedIndex(url, "expected an object with products");
  const releases = new Map<string, UbuntuRelease>();
  for (const product of Object.values(doc.products)) {
    if (!isRecord(product) || typeof product.version !== "string" || typeof product.release !== "string") continue;
    releases.set(product.version, {
      version: product.version,
      codename: product.release,
      aliases: typeof product.aliases === "string" ? product.aliases.split(",") : [],
      supported: product.supported === true,
    });
  }
  if (releases.size === 0) throw malformedIndex(url, "no products with a version and a release");
  return [...releases.values()];
}

function supportedList(releases: UbuntuRelease[]): string[] {
  return releases
    .filter((r) => r.supported)
    .sort((a, b) => Number(b.version) - Number(a.version))
    .map((r) => `${r.version} (${r.codename})`);
}

/** null when the directory has no SHA256SUMS, unless `required`: then that is an error. */
async function fromReleaseDir(
  codename: string,
  expectedVersion: string | undefined,
  context: ResolveContext,
  required = false,
): Promise<Resolution | null> {
  const dir = `${context.base("cloud-images.ubuntu.com")}/releases/${codename}/release/`;
  const sumsUrl = `${dir}SHA256SUMS`;
  const text = required ? await context.text(sumsUrl) : await context.optionalText(sumsUrl);
  if (text === null) return null;
  const entries = parseChecksums(text);
  if (entries.length === 0) throw malformedIndex(sumsUrl, "no checksum lines");
  const pattern = new RegExp(`^ubuntu-(\\d+\\.\\d+)-server-cloudimg-${escapeRegExp(ARCH[context.arch])}\\.img$`);
  const entry = entries.find((e) => pattern.test(e.file));
  if (!entry) {
    const arches = entries.flatMap((e) => /-server-cloudimg-([a-z0-9]+)\.img$/.exec(e.file)?.[1] ?? []);
    throw noImageForArch(`Ubuntu ${codename} server cloud`, context.arch, sumsUrl, arches);
  }
  const version = pattern.exec(entry.file)![1]!;
  if (expectedVersion !== undefined && version !== expectedVersion) {
    throw malformedIndex(sumsUrl, `it lists Ubuntu ${version} images, expected ${expectedVersion}`);
  }
  return {
    distro: "ubuntu",
    version,
    arch: context.arch,
    url: `${dir}${entry.file}`,
    checksum: { algorithm: entry.algorithm, value: entry.value },
    checksumSource: sumsUrl,
    compression: null,
    format: "qcow2",
    notes: [
      "SHA256SUMS.gpg was not verified: the digest is as trustworthy as the HTTPS connection",
      "release/ always points at the newest serial: should a new one land before the download, verification fails; resolve again",
    ],
  };
}
