/**
 * Which URLs testcloud fetches images, indexes and checksums from. Plain http lets anyone
 * on the path swap an image and the checksum that vouches for it alike, so:
 *   - plain http only to this machine (127.0.0.0/8, ::1, localhost), unless the user
 *     allows it (setting allowInsecureHttp); what is read over it then vouches for nothing;
 *   - never a redirect from https to http, allowed or not: it would silently drop the
 *     protection the user asked for by writing https.
 * Redirects are followed here, hop by hop, so each URL is checked before it is requested.
 */
import { ImageError } from "../errors.ts";

export interface HttpPolicy {
  fetch?: typeof fetch;
  /** Plain http to hosts other than loopback is allowed (setting allowInsecureHttp). */
  allowInsecureHttp?: boolean;
}

const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Plain http to a host other than this machine: what it returns could be forged on the way. */
export function isInsecureUrl(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === "http:" && !isLoopback(parsed.hostname);
}

/** Refuses a URL the policy does not allow, before anything connects to it. */
export function checkUrlPolicy(url: string, policy: HttpPolicy = {}): void {
  // fetch() would read a file:// URL from this host's disk, and a redirect may name one.
  if (!["http:", "https:"].includes(new URL(url).protocol)) {
    throw new ImageError(`Refused a URL that is not http(s): "${url}"`, { code: "E_INSECURE_REDIRECT" });
  }
  if (isInsecureUrl(url) && !policy.allowInsecureHttp) {
    throw new ImageError(`Refused plain http to another host: "${url}": its answer could be forged on the way`, {
      code: "E_INSECURE_HTTP",
      hint: "use https, or allow it with --allow-insecure-http (setting allowInsecureHttp); nothing read over it counts as verified",
    });
  }
}

/**
 * fetch() under the policy: redirects are followed here, each hop checked before it is
 * requested. `insecure` says whether any hop was plain http to another host.
 */
export async function fetchChecked(url: string, init: RequestInit, policy: HttpPolicy = {}): Promise<{ response: Response; insecure: boolean }> {
  let current = url;
  let insecure = false;
  for (let hops = 0; ; hops++) {
    checkUrlPolicy(current, policy);
    insecure ||= isInsecureUrl(current);
    const response = await (policy.fetch ?? fetch)(current, { ...init, redirect: "manual" });
    const location = response.headers.get("location");
    if (!REDIRECTS.has(response.status) || location === null) return { response, insecure };
    await response.body?.cancel();
    if (hops >= MAX_REDIRECTS) throw new ImageError(`Too many redirects: "${url}": more than ${MAX_REDIRECTS}`, { code: "E_DOWNLOAD" });
    const next = new URL(location, current).href;
    if (new URL(current).protocol === "https:" && new URL(next).protocol === "http:") throw downgrade(current, next);
    current = next;
  }
}

function isLoopback(hostname: string): boolean {
  // URL() has already normalised 127.1, 0x7f.0.0.1 and friends to dotted quads.
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function downgrade(from: string, to: string): ImageError {
  return new ImageError(`Refused a redirect from https to http: "${from}" -> "${to}"`, {
    code: "E_INSECURE_REDIRECT",
    hint: "the server dropped TLS; use a URL or mirror that stays on https",
  });
}
