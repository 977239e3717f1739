import { UsageError } from "../errors.ts";
import { validateName } from "./names.ts";

/** What `cp [-r] SRC… DST` asks for: which way, which instance, which paths. */
export interface CopyRequest {
  direction: "upload" | "download";
  name: string;
  /** Host paths for an upload, guest paths (after NAME:) for a download. */
  sources: string[];
  /** A guest path for an upload, a host path for a download. */
  destination: string;
  recursive: boolean;
}

/**
 * `NAME:PATH` → {name, path}; null for a host path. As with scp, a word is a host path
 * when it has no colon, starts with one, or has a "/" before its first one
 * (`./a:b`, `/tmp/a:b`). NAME must be a valid instance name.
 */
export function splitRemote(word: string): { name: string; path: string } | null {
  const colon = word.indexOf(":");
  if (colon <= 0 || word.slice(0, colon).includes("/")) return null;
  return { name: validateName(word.slice(0, colon)), path: word.slice(colon + 1) };
}

const HINT = "testcloud cp FILE… NAME:PATH (upload) or testcloud cp NAME:PATH… DIR (download)";

/** Reads the words of `cp`: exactly one side must be `NAME:PATH`, all sources on one side. */
export function parseCopyRequest(words: string[], recursive = false): CopyRequest {
  if (words.length < 2) throw new UsageError("cp needs at least one source and a destination", { hint: HINT });
  if (words.includes("")) throw new UsageError("Empty path: name a file or directory", { hint: HINT });
  const sides = words.map(splitRemote);
  const destination = sides.at(-1)!;
  const sources = sides.slice(0, -1);
  if (destination) {
    if (sources.some(Boolean)) throw new UsageError("Both sides are instance paths: copy between instances through a host directory", { hint: HINT });
    return { direction: "upload", name: destination.name, sources: words.slice(0, -1), destination: destination.path, recursive };
  }
  if (sources.every((s) => s === null)) throw new UsageError("Neither side is an instance path: write NAME:PATH for the instance's side", { hint: HINT });
  if (sources.some((s) => s === null)) throw new UsageError("Sources mix host and instance paths: copy them in separate calls", { hint: HINT });
  const names = new Set(sources.map((s) => s!.name));
  if (names.size > 1) throw new UsageError(`Sources are in different instances: ${[...names].map((n) => JSON.stringify(n)).join(", ")}`, { hint: HINT });
  return { direction: "download", name: sources[0]!.name, sources: sources.map((s) => s!.path), destination: words.at(-1)!, recursive };
}
