/**
 * A real HTTP server on port 0 that stands in for every upstream host a resolver reads:
 * `tests/fixtures/distro-indexes/<distro>/<host>/<path>` is served at
 * `/<distro>/<host>/<path>`, a directory URL serves its index.html (as Apache does), and a
 * test can replace the answer for one path (errors, truncation, stalls, other data).
 */
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import type { Server } from "bun";
import { TestcloudError } from "../../../lib/errors.ts";
import {
  resolveShortcut,
  type Arch,
  type ResolvedImage,
  type ResolveOptions,
} from "../../../lib/image/resolve/resolve-shortcut.ts";

export const FIXTURES = join(import.meta.dir, "..", "..", "fixtures", "distro-indexes");

type Answer = (url: URL) => Response | Promise<Response>;

export interface FixtureServer {
  origin: string;
  /** Every upstream host that has fixtures, mapped to `<origin>/<distro>/<host>`. */
  baseUrls: Record<string, string>;
  /** Paths (with query) requested since the last reset, in order. */
  requests: string[];
  /** Answers requests for `path` (no query) with `answer` until the end of the test. */
  override(path: string, answer: Answer): void;
}

/** Starts the server before the file's tests, clears overrides after each, stops it after all. */
export function useFixtureServer(): FixtureServer {
  const overrides = new Map<string, Answer>();
  let server: Server<undefined> | undefined;
  const state: FixtureServer = {
    origin: "",
    baseUrls: {},
    requests: [],
    override: (path, answer) => void overrides.set(path, answer),
  };
  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const url = new URL(request.url);
        state.requests.push(decodeURIComponent(url.pathname) + url.search);
        const answer = overrides.get(decodeURIComponent(url.pathname)) ?? DEFAULTS[decodeURIComponent(url.pathname)];
        return answer ? answer(url) : serveFile(decodeURIComponent(url.pathname));
      },
    });
    state.origin = `http://127.0.0.1:${server.port}`;
    state.baseUrls = hostBaseUrls(state.origin);
  });
  afterEach(() => {
    overrides.clear();
    state.requests.length = 0;
  });
  afterAll(() => server?.stop(true));
  return state;
}

/** Where the resolver asks Bodhi for its releases (the page is in the query). */
export const BODHI_RELEASES = "/fedora/bodhi.fedoraproject.org/releases/";

/**
 * Bodhi's paged release list: page N of the query is the Nth of `files`, which are
 * captured responses in fedora/bodhi.fedoraproject.org/releases/.
 */
export function bodhiPages(files: string[]): Answer {
  return (url) => {
    const file = files[Number(url.searchParams.get("page") ?? "1") - 1];
    return file ? fixtureResponse(`fedora/bodhi.fedoraproject.org/releases/${file}`) : new Response("", { status: 404 });
  };
}

// Answers for URLs that are not a plain file path; a test's override replaces them.
const DEFAULTS: Record<string, Answer> = { [BODHI_RELEASES]: bodhiPages(["f42-post-branch-window.json"]) };

/** The bytes of a fixture file, by its path below tests/fixtures/distro-indexes. */
export function fixtureText(path: string): Promise<string> {
  return Bun.file(join(FIXTURES, path)).text();
}

/** A response with a fixture file's bytes, as the server sends them. */
export function fixtureResponse(path: string): Response {
  return serveFile(`/${path}`);
}

/** An Apache-style directory listing naming `files`, for cases no captured listing covers. */
export function listingResponse(files: string[]): Response {
  const rows = files.map((f) => `<tr><td><a href="${encodeURIComponent(f)}">${f}</a></td></tr>`).join("\n");
  const html = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><body><table>\n<tr><td><a href="../">Parent Directory</a></td></tr>\n${rows}\n</table></body></html>\n`;
  return new Response(html, { headers: { "content-type": "text/html;charset=UTF-8" } });
}

function serveFile(pathname: string): Response {
  const relative = normalize(pathname).replace(/^\/+/, "");
  if (relative.startsWith("..")) return new Response("Forbidden", { status: 403 });
  let path = join(FIXTURES, relative);
  if (pathname.endsWith("/")) path = join(path, "index.html");
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile()) return new Response("Not Found", { status: 404 });
  return new Response(Bun.file(path), { headers: { "content-type": contentType(path) } });
}

function contentType(path: string): string {
  if (path.endsWith(".json")) return "application/json";
  if (path.endsWith(".html")) return "text/html;charset=UTF-8";
  return "text/plain; charset=UTF-8";
}

/** `<distro>/<host>` directories, skipping `_variants`; a host name always contains a dot. */
function hostBaseUrls(origin: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const distro of readdirSync(FIXTURES)) {
    if (!statSync(join(FIXTURES, distro)).isDirectory()) continue;
    for (const host of readdirSync(join(FIXTURES, distro))) {
      if (host.includes(".") && statSync(join(FIXTURES, distro, host)).isDirectory()) {
        map[host] = `${origin}/${distro}/${host}`;
      }
    }
  }
  return map;
}

/** Where the server serves an upstream URL: `https://<host>/<path>` → `<base of host>/<path>`. */
export function served(server: FixtureServer, upstream: string): string {
  const url = new URL(upstream);
  const base = server.baseUrls[url.host];
  return base === undefined ? upstream : `${base}${url.pathname}`;
}

/** resolveShortcut("distro[:version]") against the fixture server, and its must-fail twin. */
export function resolverFor(server: FixtureServer) {
  const resolve = (ref: string, arch: Arch = "x86_64", options: ResolveOptions = {}): Promise<ResolvedImage> => {
    const [distro, version] = ref.split(":") as [string, string | undefined];
    // Retries (5xx, refused connections) without the real pause.
    return resolveShortcut(distro, version, { arch, baseUrls: server.baseUrls, retryDelayMs: 1, ...options });
  };
  const failure = async (ref: string, arch: Arch = "x86_64", options: ResolveOptions = {}): Promise<TestcloudError> => {
    const error = await resolve(ref, arch, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TestcloudError);
    return error as TestcloudError;
  };
  return { resolve, failure };
}
