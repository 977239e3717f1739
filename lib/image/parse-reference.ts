import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "../host/posix-path.ts";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.ts";

/** What a user's image argument names. */
export type ImageReference =
  | { kind: "file"; path: string }
  | { kind: "url"; url: string }
  | { kind: "shortcut"; distro: string; version?: string };

const SHORTCUT = /^([a-z][a-z0-9-]*)(?::([A-Za-z0-9._-]+))?$/;

/** Classifies an image argument: an http(s) URL, a file:// URL or path, or a distro shortcut. */
export function parseReference(ref: string, cwd = process.cwd()): ImageReference {
  if (ref.trim() === "") throw new UsageError("Image reference is empty");
  if (/^https?:\/\//i.test(ref)) {
    try {
      return { kind: "url", url: new URL(ref).href };
    } catch {
      throw new UsageError(`Invalid image URL: "${ref}"`);
    }
  }
  if (/^file:/i.test(ref)) {
    try {
      return { kind: "file", path: fileURLToPath(ref) };
    } catch {
      throw new UsageError(`Invalid file URL: "${ref}": expected file:///absolute/path`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    throw new UsageError(`Unsupported URL scheme: "${ref}": use http, https or file`);
  }
  const shortcut = SHORTCUT.exec(ref);
  // A bare word could be a file in the current directory; a path wins over a shortcut.
  if (shortcut && !existsSync(resolve(cwd, ref))) {
    return { kind: "shortcut", distro: shortcut[1] ?? ref, version: shortcut[2] };
  }
  return { kind: "file", path: isAbsolute(ref) ? ref : resolve(cwd, ref) };
}
