import { UsageError } from "../../errors.ts";
import { DEFAULT_BASE_URLS } from "../../host/base-urls.ts";
import { hostArch, parseArch } from "../../machine/arch.ts";
import { makeContext } from "./_context.ts";
import type { Arch, ResolvedImage } from "./_types.ts";
import { DISTROS, findDistro } from "./distros.ts";

export type { Arch, ResolvedImage } from "./_types.ts";

export interface ResolveOptions {
  /** Default: the host's architecture. */
  arch?: Arch;
  /** Base URL per upstream host (keys of DEFAULT_BASE_URLS, lib/host/base-urls.ts), e.g. a mirror or a test server. */
  baseUrls?: Partial<Record<string, string>>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Gives up on one index request after this long, retries included; default 30 s. */
  timeoutMs?: number;
  /** First delay before retrying an index request (5xx, network error), doubled for the next; default 500 ms. */
  retryDelayMs?: number;
  /** Read indexes over plain http from hosts other than loopback too (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
  /** Read no index: a resolve that needs one fails with E_NOT_CACHED, an unknown shortcut or version as usual. */
  offline?: boolean;
}

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
  const entry = findDistro(distro);
  const reference = version ? `${distro}:${version}` : distro;
  if (!entry) {
    throw new UsageError(`Unknown image shortcut: "${reference}"`, {
      code: "E_UNKNOWN_IMAGE",
      hint: `known shortcuts: ${DISTROS.map((d) => d.usage).join(", ")}; or give a path or an http(s) URL`,
    });
  }
  const arch = options.arch === undefined ? hostArch() : parseArch(options.arch);
  const bases = Object.fromEntries(entry.hosts.map((host) => [host, options.baseUrls?.[host] || DEFAULT_BASE_URLS[host]]));
  const context = makeContext(arch, bases, options);
  // Codenames and stream names are lowercase upstream; "Noble" or "Rawhide" mean the same.
  const resolved = await entry.resolve(version ? version.toLowerCase() : undefined, context);
  if (!context.insecure) return { reference, ...resolved, insecure: false };
  const note = "An index or checksum was read over plain http from another host: the checksum proves nothing";
  return { reference, ...resolved, notes: [...resolved.notes, note], insecure: true };
}
