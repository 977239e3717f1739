/** Types the resolvers, their context and resolveShortcut share (kept here so no import runs back up). */

import type { Arch } from "../../machine/arch.ts";

export type { Arch };

/** Where a shortcut resolved to, and the digest its distro publishes for it. */
export interface ResolvedImage {
  /** As the user typed it, e.g. "fedora:41". */
  reference: string;
  /** Canonical: the name of its entry in DISTROS (lib/image/resolve/distros.ts). */
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

/** What a per-distro resolver returns; resolveShortcut adds the reference as typed. */
export type Resolution = Omit<ResolvedImage, "reference" | "insecure">;

/** Everything a per-distro resolver needs: the arch, where each upstream host is, and fetching. */
export interface ResolveContext {
  arch: Arch;
  /** The base URL standing in for an upstream host, without a trailing slash. */
  base(host: string): string;
  /** Moves an absolute upstream URL (from inside an index) onto the base configured for its host. */
  rebase(url: string): string;
  text(url: string): Promise<string>;
  /** The text, or null when the server says the file does not exist (404/410). */
  optionalText(url: string): Promise<string | null>;
  json(url: string): Promise<unknown>;
  /** True once an index was read over plain http from another host: its checksums prove nothing. */
  readonly insecure: boolean;
}

/** A per-distro resolver: the version as typed (lowercased), or undefined for the newest. */
export type Resolver = (version: string | undefined, context: ResolveContext) => Promise<Resolution>;
