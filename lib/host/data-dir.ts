import { accessSync, chmodSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "./posix-path.ts";
import { DependencyError } from "../errors.ts";
import { imagesDir } from "./paths.ts";

/** Which of our two directories a check is about, for its message and hint. */
export type DirKind = "data" | "image";

/**
 * Checks a data dir (or the image cache, `kind` "image") before anything in it is read or
 * trusted: it must be a directory that only its owner (this user or root) can write. Another
 * user who can write it could plant instance records, keys or images. A missing dir is fine
 * (nothing to read). Commands call checkDataDir (check-data-dir.ts), which skips node:fs
 * when there is no dir.
 */
export function checkDataDirSync(dataDir: string, uid = process.getuid?.() ?? 0, kind: DirKind = "data"): void {
  let stat;
  try {
    stat = statSync(dataDir, { throwIfNoEntry: false });
  } catch (error) {
    throw unusable(dataDir, (error as Error).message, kind);
  }
  if (!stat) return;
  if (!stat.isDirectory()) throw unusable(dataDir, "not a directory", kind);
  if (stat.uid !== uid && stat.uid !== 0) throw unusable(dataDir, `owned by uid ${stat.uid}, not by you or root`, kind);
  if (stat.mode & 0o002 || (stat.mode & 0o020 && stat.gid !== 0 && stat.gid !== process.getgid?.())) {
    throw unusable(dataDir, `others can write it (mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")})`, kind);
  }
}

/**
 * Makes the data dir, the image cache (the imageDir setting, by default <data dir>/images)
 * and the folders QEMU must walk through (instances/, the cache's blobs/) mode 0711: the
 * QEMU user can reach the disks it is given, no other user can list or read anything (the
 * files themselves are 0600; libvirt hands them to QEMU).
 */
export function ensureDataDir(dataDir: string, imageDir = imagesDir(dataDir)): void {
  const ownCache = imageDir === imagesDir(dataDir);
  checkDataDirSync(dataDir);
  if (!ownCache) checkDataDirSync(imageDir, undefined, "image");
  const dirs: [string, DirKind, boolean][] = [
    // [dir, kind, ours: its mode is set every time]. The data dir and an image dir of the
    // user's choosing only when we made them: they may be the user's.
    [dataDir, "data", false],
    [join(dataDir, "instances"), "data", true],
    [imageDir, "image", ownCache],
    [join(imageDir, "blobs"), "image", true],
  ];
  for (const [dir, kind, ours] of dirs) {
    try {
      const made = makeDir(dir);
      if (made || ours) chmodSync(dir, 0o711);
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      const why = code === "EACCES" || code === "EROFS" || code === "EPERM" ? "not writable" : code === "ENOTDIR" || code === "EEXIST" ? "not a directory" : message;
      throw unusable(dir, why, kind);
    }
  }
}

/**
 * Makes a missing dir and its missing parents, each 0711 (`mkdir -p` under our umask would
 * make the parents 0700, which QEMU cannot walk through). True when `dir` was made.
 */
function makeDir(dir: string): boolean {
  if (statSync(dir, { throwIfNoEntry: false })) return false;
  const parent = dirname(dir);
  if (parent !== dir) makeDir(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    // Another testcloud process made it meanwhile.
    if ((error as NodeJS.ErrnoException).code === "EEXIST" && statSync(dir).isDirectory()) return false;
    throw error;
  }
  chmodSync(dir, 0o711);
  return true;
}

function unusable(dir: string, why: string, kind: DirKind): DependencyError {
  const [what, variable, key] = kind === "data" ? ["Data", "TESTCLOUD_DATA_DIR", "dataDir"] : ["Image", "TESTCLOUD_IMAGE_DIR", "imageDir"];
  return new DependencyError(`${what} directory unusable: "${dir}": ${why}`, {
    code: "E_PERMISSION",
    hint: `set ${variable} (or ${key} in the config) to a directory only you or root can write`,
  });
}
