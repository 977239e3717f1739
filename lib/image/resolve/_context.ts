import type { Arch, ResolvedImage } from "./resolve-shortcut.ts";
import { fetchOptionalText, fetchText, parseJson, type FetchTextOptions } from "./_fetch-text.ts";

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

/** Builds the context from a complete host → base URL map. */
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
