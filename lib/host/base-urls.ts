/**
 * The [baseUrls] setting: each upstream host the image resolvers read
 * (lib/image/resolve/distros.ts names a distro's hosts), and where it really is; a
 * mirror or a test server replaces one host. It lives here, with the settings, so
 * that lib/host imports nothing from lib/image.
 */
import { UsageError } from "../errors.ts";

/** Every upstream host a resolver reads, and its real base URL. Paths below them are fixed. */
export const DEFAULT_BASE_URLS = {
  "fedoraproject.org": "https://fedoraproject.org",
  "download.fedoraproject.org": "https://download.fedoraproject.org",
  "bodhi.fedoraproject.org": "https://bodhi.fedoraproject.org",
  "openqa.fedoraproject.org": "https://openqa.fedoraproject.org",
  "kojipkgs.fedoraproject.org": "https://kojipkgs.fedoraproject.org",
  "builds.coreos.fedoraproject.org": "https://builds.coreos.fedoraproject.org",
  "cloud.centos.org": "https://cloud.centos.org",
  "cloud.debian.org": "https://cloud.debian.org",
  "cloud-images.ubuntu.com": "https://cloud-images.ubuntu.com",
  "repo.almalinux.org": "https://repo.almalinux.org",
  "dl.rockylinux.org": "https://dl.rockylinux.org",
} as const satisfies Record<string, string>;

/** An upstream host name, a key of DEFAULT_BASE_URLS. */
export type UpstreamHost = keyof typeof DEFAULT_BASE_URLS;

const EXAMPLE = `TESTCLOUD_MIRRORS='{"download.fedoraproject.org":"https://mirror.example.org/fedora"}'`;

/**
 * Reads the upstream host → base URL map from the TESTCLOUD_MIRRORS environment variable
 * (a JSON object); none set gives {}. config.ts layers it over the config files'
 * [baseUrls] table, host by host.
 */
export function baseUrlsFromEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const text = env.TESTCLOUD_MIRRORS;
  return text === undefined || text.trim() === "" ? {} : parseBaseUrls(text, "TESTCLOUD_MIRRORS");
}

/** Checks a host → base URL map given as JSON: known hosts only, absolute http(s) URLs. */
export function parseBaseUrls(text: string, source: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Invalid ${source}: not JSON: ${(error as Error).message}`, { hint: EXAMPLE });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`Invalid ${source}: expected a JSON object of host to base URL`, { hint: EXAMPLE });
  }
  const hosts = Object.keys(DEFAULT_BASE_URLS);
  const map: Record<string, string> = {};
  for (const [host, url] of Object.entries(doc)) {
    if (!hosts.includes(host)) {
      throw new UsageError(`Unknown host in ${source}: "${host}"`, { hint: `known hosts: ${hosts.join(", ")}` });
    }
    if (typeof url !== "string" || !isHttpUrl(url)) {
      throw new UsageError(`Invalid base URL in ${source} for "${host}": ${JSON.stringify(url)}`, {
        hint: "give an absolute http:// or https:// URL",
      });
    }
    map[host] = url;
  }
  return map;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && !url.search && !url.hash;
  } catch {
    return false;
  }
}
