// Loaded only when something is at a config file's path (config.ts): the check needs lstat,
// so node:fs, whose load costs start-up time (docs/design.md).
import { lstatSync, readFileSync, statSync } from "node:fs";
import { configError } from "./_config-file.ts";

/**
 * Why a config file must not be read, or null. Run as root, a file another user can
 * write would let them choose what testcloud runs and where it writes.
 */
export function unsafeConfigFile(path: string, uid: number): string | null {
  const link = lstatSync(path, { throwIfNoEntry: false });
  const file = link && statSync(path, { throwIfNoEntry: false });
  if (!link || !file) return null;
  for (const stat of [link, file]) {
    if (stat.uid !== uid && stat.uid !== 0) return `owned by uid ${stat.uid}, not by you or root`;
  }
  if (file.mode & 0o022) return `writable by others (mode ${(file.mode & 0o777).toString(8).padStart(4, "0")})`;
  return null;
}

/** The config file's text; why it is unsafe to read; or null when there is none. */
export function readConfigFile(path: string, uid: number): { text: string } | { unsafe: string } | null {
  const unsafe = unsafeConfigFile(path, uid);
  if (unsafe) return { unsafe };
  try {
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw configError(`Cannot read config: "${path}": ${(error as Error).message}`);
  }
}
