import { UsageError } from "../../errors.ts";
import { hostArch, parseArch, type Arch } from "../../machine/arch.ts";
import { DEFAULT_BASE_URLS } from "./base-urls.ts";
import { makeContext, type ResolveContext, type Resolution } from "./_context.ts";
import { resolveAlma } from "./alma.ts";
import { resolveCentosStream } from "./centos-stream.ts";
import { resolveDebian } from "./debian.ts";
import { resolveFedoraCoreos } from "./fedora-coreos.ts";
import { resolveFedora } from "./fedora.ts";
import { resolveRocky } from "./rocky.ts";
import { resolveUbuntu } from "./ubuntu.ts";

export type { Arch };

/** Where a shortcut resolved to, and the digest its distro publishes for it. */
export interface ResolvedImage {
  /** As the user typed it, e.g. "fedora:41". */
  reference: string;
  /** Canonical: fedora | fedora-coreos | centos-stream | debian | ubuntu | alma | rocky. */
  distro: string;
  /** The concrete version resolved to, e.g. "41", "rawhide-20240320.n.0", "12", "24.04", "9". */
  version: string;
  arch: Arch;
  /** Absolute image URL. */
  url: string;
  /** Lowercase hex; null only where the distro publishes none (then `notes` says so). */
  checksum: { algorithm: "sha256" | "sha512"; value: string } | null;
  /** URL of the file the checksum came from (index JSON or CHECKSUM/SHA*SUMS file). */
  checksumSource: string | null;
  /** How the file at `url` is compressed (CoreOS ships .qcow2.xz); the checksum is of that file. */
  compression: "xz" | "gz" | null;
  format: "qcow2" | "raw";
  /** What a careful user should know, e.g. that a signature was not verified. */
  notes: string[];
  /**
   * True when an index or checksum file was read over plain http from a host other than
   * this one (allowed by allowInsecureHttp): anyone on the path could have forged the checksum.
   */
  insecure: boolean;
}

export interface ResolveOptions {
  /** Default: the host's architecture. */
  arch?: Arch;
  /** Base URL per upstream host (keys of DEFAULT_BASE_URLS), e.g. a mirror or a test server. */
  baseUrls?: Partial<Record<string, string>>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Gives up on one index request after this long; default 30 s. */
  timeoutMs?: number;
  /** Read indexes over plain http from hosts other than loopback too (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
}

type Resolver = (version: string | undefined, context: ResolveContext) => Promise<Resolution>;

const RESOLVERS: Record<string, Resolver> = {
  fedora: resolveFedora,
  "fedora-coreos": resolveFedoraCoreos,
  "centos-stream": resolveCentosStream,
  debian: resolveDebian,
  ubuntu: resolveUbuntu,
  alma: resolveAlma,
  rocky: resolveRocky,
};

const DISTRO_ALIASES: Record<string, string> = { almalinux: "alma" };

const SHORTCUT_FORMS = [
  "fedora[:NN|latest|rawhide|branched]",
  "fedora-coreos[:stable|testing|next]",
  "centos-stream[:N]",
  "debian[:N|CODENAME]",
  "ubuntu[:NN.NN|CODENAME]",
  "alma[:N]",
  "rocky[:N]",
];

/**
 * Resolves a distro shortcut (`fedora:41`, `debian:bookworm`, …) to an image URL and the
 * digest the distro publishes for it, by reading the distro's machine-readable index.
 * Downloads no image.
 */
export async function resolveShortcut(
  distro: string,
  version: string | undefined,
  options: ResolveOptions = {},
): Promise<ResolvedImage> {
  const canonical = DISTRO_ALIASES[distro] ?? distro;
  const resolver = Object.hasOwn(RESOLVERS, canonical) ? RESOLVERS[canonical] : undefined;
  const reference = version ? `${distro}:${version}` : distro;
  if (!resolver) {
    throw new UsageError(`Unknown image shortcut: "${reference}"`, {
      code: "E_UNKNOWN_IMAGE",
      hint: `known shortcuts: ${SHORTCUT_FORMS.join(", ")}; or give a path or an http(s) URL`,
    });
  }
  const arch = options.arch === undefined ? hostArch() : parseArch(options.arch);
  const bases = { ...DEFAULT_BASE_URLS };
  for (const [host, url] of Object.entries(options.baseUrls ?? {})) if (url) bases[host] = url;
  const context = makeContext(arch, bases, options);
  // Codenames and stream names are lowercase upstream; "Noble" or "Rawhide" mean the same.
  const resolved = await resolver(version ? version.toLowerCase() : undefined, context);
  if (!context.insecure) return { reference, ...resolved, insecure: false };
  const note = "An index or checksum was read over plain http from another host: the checksum proves nothing";
  return { reference, ...resolved, notes: [...resolved.notes, note], insecure: true };
}
