/**
 * The POSIX path functions testcloud uses, with node:path's results (a test compares
 * them on a corpus). Why not node:path: loading it costs ≈1 ms of every command's
 * start-up in a compiled Bun binary (its Windows half, validators and primordials come
 * too), and `testcloud list` is called in loops by scripts. Paths are Linux paths only.
 */

/** Resolves ".", ".." and repeated slashes; keeps a leading "/" and a trailing one. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    else if (part !== ".." || !absolute) parts.push(part);
  }
  let body = parts.join("/");
  if (body === "" && !absolute) body = ".";
  if (body !== "" && path.endsWith("/")) body += "/";
  return absolute ? `/${body}` : body;
}

/** The segments joined by "/", normalized; "." when nothing is left. */
export function join(...segments: string[]): string {
  const joined = segments.filter((s) => s !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** The absolute path: segments from the right until one is absolute, on top of the cwd. */
export function resolve(...segments: string[]): string {
  let path = "";
  for (let i = segments.length - 1; i >= -1 && !path.startsWith("/"); i--) {
    const segment = i >= 0 ? segments[i]! : process.cwd();
    if (segment !== "") path = path === "" ? segment : `${segment}/${path}`;
  }
  const normal = normalize(path);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

/** Everything before the last segment ("." or "/" when there is nothing before it). */
export function dirname(path: string): string {
  const trimmed = withoutTrailingSlashes(path);
  const slash = trimmed.lastIndexOf("/");
  if (slash === -1) return ".";
  if (slash === 0) return "/";
  // As node:path: the slashes before the last one stay ("/a//b" → "/a/"), and "//a" → "//".
  return slash === 1 && trimmed.startsWith("/") ? "//" : trimmed.slice(0, slash);
}

/** The last segment, trailing slashes ignored. */
export function basename(path: string): string {
  const trimmed = withoutTrailingSlashes(path);
  return trimmed === "/" ? "" : trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** The path without its trailing slashes, "/" itself kept. */
function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  return path.slice(0, end);
}
