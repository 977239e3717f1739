import { NotFoundError } from "../../errors.ts";
import { fedoraBranches } from "./_bodhi.ts";
import type { ResolveContext, Resolution } from "./_types.ts";
import { malformedIndex, noImageForArch } from "./_errors.ts";
import { httpUrl, isRecord } from "./_shape.ts";

interface Nightly {
  arch: string;
  url: string;
  mtime: number;
}

const NO_DIGEST_NOTE =
  "openQA's nightlies.json publishes no digest and the compose's CHECKSUM file is not read: the download can only be checked against a digest you give";

/**
 * Resolves the newest rawhide or branched nightly Cloud_Base qcow2 from openQA's
 * nightlies.json. For branched, Bodhi says which release number is branched (unless
 * `branchedVersion` is given), so a stale branched compose of a released Fedora is refused.
 */
export async function resolveFedoraNightly(
  kind: "rawhide" | "branched",
  context: ResolveContext,
  branchedVersion?: string,
): Promise<Resolution> {
  const number = kind === "branched" ? (branchedVersion ?? (await currentBranched(context))) : undefined;
  const url = `${context.base("openqa.fedoraproject.org")}/nightlies.json`;
  const nightlies = parseNightlies(await context.json(url), url).filter((n) => {
    const segments = new URL(n.url).pathname.split("/");
    return segments.includes(kind) && (number === undefined || segments.some((s) => s.startsWith(`Fedora-${number}-`)));
  });
  const what = number === undefined ? `Fedora ${kind} nightly` : `Fedora ${number} branched nightly`;
  const forArch = nightlies.filter((n) => n.arch === context.arch).sort((a, b) => b.mtime - a.mtime);
  const newest = forArch[0];
  if (!newest) throw noImageForArch(what, context.arch, url, [...new Set(nightlies.map((n) => n.arch))]);
  return {
    distro: "fedora",
    version: composeVersion(newest.url, kind),
    arch: context.arch,
    url: context.rebase(newest.url),
    checksum: null,
    checksumSource: null,
    compression: null,
    format: "qcow2",
    notes: [NO_DIGEST_NOTE],
  };
}

async function currentBranched(context: ResolveContext): Promise<string> {
  const branches = await fedoraBranches(context);
  const branched = branches.branched[0];
  if (branched === undefined) {
    const rawhide = branches.rawhide ? `: Fedora ${branches.rawhide} is rawhide` : "";
    throw new NotFoundError(`No branched Fedora release at present${rawhide}`, {
      code: "E_UNKNOWN_VERSION",
      hint: "testcloud image resolve fedora:rawhide",
    });
  }
  return branched;
}

/** Keeps the Cloud_Base qcow2 entries, as the Python testcloud does. */
function parseNightlies(doc: unknown, url: string): Nightly[] {
  if (!Array.isArray(doc)) throw malformedIndex(url, "expected a JSON array of composed images");
  return doc
    .filter((e) => isRecord(e) && e.subvariant === "Cloud_Base" && e.type === "qcow2")
    .map((e: Record<string, unknown>) => {
      if (typeof e.arch !== "string" || typeof e.mtime !== "number") {
        throw malformedIndex(url, `entry without arch or mtime: ${JSON.stringify(e)}`);
      }
      return { arch: e.arch, url: httpUrl(e.url, url, "an image url"), mtime: e.mtime };
    });
}

/** "Fedora-Rawhide-20240320.n.0" gives "rawhide-20240320.n.0"; "Fedora-40-20240320.n.0" gives "40-20240320.n.0". */
function composeVersion(url: string, kind: string): string {
  for (const segment of new URL(url).pathname.split("/")) {
    const match = /^Fedora-(Rawhide|\d+)-(\d{8}\.n\.\d+)$/.exec(segment);
    if (match) return `${match[1]!.toLowerCase()}-${match[2]}`;
  }
  return kind;
}
