import { fetchOptionalText, fetchText, parseJson, type FetchTextOptions } from "./_fetch-text.ts";
import type { Arch, ResolveContext } from "./_types.ts";

/** Builds the context from the host → base URL map of the hosts a distro reads. */
export function makeContext(arch: Arch, bases: Record<string, string>, fetchOptions: FetchTextOptions): ResolveContext {
  const trimmed = Object.fromEntries(Object.entries(bases).map(([host, url]) => [host, url.replace(/\/+$/, "")]));
  let insecure = false;
  fetchOptions = { ...fetchOptions, onInsecure: () => void (insecure = true) };
  return {
    get insecure() {
      return insecure;
    },
    arch,
    base(host) {
      const url = trimmed[host];
      if (url === undefined) throw new Error(`No base URL for upstream host "${host}"`);
      return url;
    },
    rebase(url) {
      const parsed = new URL(url);
      const base = trimmed[parsed.host];
      return base === undefined ? url : `${base}${parsed.pathname}${parsed.search}`;
    },
    text: (url) => fetchText(url, fetchOptions),
    optionalText: (url) => fetchOptionalText(url, fetchOptions),
    json: async (url) => parseJson(await fetchText(url, fetchOptions), url),
  };
}
