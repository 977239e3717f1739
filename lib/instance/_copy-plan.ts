import * as posix from "../host/posix-path.ts";
import { NotFoundError, UsageError } from "../errors.ts";

/** What the destination path is before the copy. */
export type DestinationKind = "directory" | "file" | "missing" | "no-parent";

/** One source, checked: its path, how errors show it, and whether it is a directory. */
export interface CheckedSource {
  path: string;
  shown: string;
  directory: boolean;
}

/**
 * Where each source lands, as cp and scp decide it: into DST when DST is a directory,
 * else DST itself (one source only; its parent must exist). `shown` names DST in errors.
 */
export function planTargets(sources: CheckedSource[], destination: string, kind: DestinationKind, shown: string): string[] {
  if (kind === "directory") return sources.map((source) => posix.join(destination, copyName(source)));
  if (kind !== "file" && (sources.length > 1 || destination.endsWith("/"))) {
    throw new NotFoundError(`Destination directory does not exist: ${JSON.stringify(shown)}`);
  }
  if (kind === "file" && (sources.length > 1 || destination.endsWith("/"))) {
    throw new UsageError(`Destination is not a directory: ${JSON.stringify(shown)}`);
  }
  if (kind === "no-parent") {
    throw new NotFoundError(`Destination directory does not exist: ${JSON.stringify(posix.dirname(shown))}`, { hint: `create it first, or copy to an existing directory` });
  }
  if (kind === "file" && sources[0]!.directory) {
    throw new UsageError(`Cannot copy a directory over a file: ${JSON.stringify(sources[0]!.shown)} to ${JSON.stringify(shown)}`);
  }
  return [destination];
}

/** The name a source gets inside a destination directory; "." or "/" have none. */
export function copyName(source: CheckedSource): string {
  const trimmed = source.path.replace(/\/+$/, "");
  const name = posix.basename(trimmed);
  if (trimmed === "" || name === "." || name === ".." || name === "~") {
    throw new UsageError(`Cannot name the copy of ${JSON.stringify(source.shown)} inside a directory: give the destination a new name`);
  }
  return name;
}
