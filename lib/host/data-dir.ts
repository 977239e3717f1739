import { accessSync, chmodSync, constants, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DependencyError } from "../errors.ts";
import { imagesDir } from "./paths.ts";

/**
 * Checks a data dir before anything in it is read or trusted: it must be a directory
 * that only its owner (this user or root) can write. Another user who can write it
 * could plant instance records, keys or images. A missing dir is fine (nothing to read).
 */
export function checkDataDir(dataDir: string, uid = process.getuid?.() ?? 0): void {
  let stat;
  try {
    stat = statSync(dataDir, { throwIfNoEntry: false });
  } catch (error) {
    throw unusable(dataDir, (error as Error).message);
  }
  if (!stat) return;
  if (!stat.isDirectory()) throw unusable(dataDir, "not a directory");
  if (stat.uid !== uid && stat.uid !== 0) throw unusable(dataDir, `owned by uid ${stat.uid}, not by you or root`);
  if (stat.mode & 0o002 || (stat.mode & 0o020 && stat.gid !== 0 && stat.gid !== process.getgid?.())) {
    throw unusable(dataDir, `others can write it (mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")})`);
  }
}

/**
 * Makes the data dir and the folders QEMU must walk through (instances/, images/blobs/)
 * mode 0711: the QEMU user can reach the disks it is given, no other user can list
 * or read anything (the files themselves are 0600; libvirt hands them to QEMU).
 */
export function ensureDataDir(dataDir: string): void {
  checkDataDir(dataDir);
  const images = imagesDir(dataDir);
  for (const dir of [dataDir, join(dataDir, "instances"), images, join(images, "blobs")]) {
    try {
      const made = !statSync(dir, { throwIfNoEntry: false });
      if (made) mkdirSync(dir, { recursive: true });
      // Our own folders are set every time (an older version or a user may have made them
      // 0755); the data dir itself only when we made it: it may be the user's.
      if (made || dir !== dataDir) chmodSync(dir, 0o711);
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      const why = code === "EACCES" || code === "EROFS" || code === "EPERM" ? "not writable" : code === "ENOTDIR" || code === "EEXIST" ? "not a directory" : message;
      throw unusable(dir, why);
    }
  }
}

function unusable(dir: string, why: string): DependencyError {
  return new DependencyError(`Data directory unusable: "${dir}": ${why}`, {
    code: "E_PERMISSION",
    hint: "set TESTCLOUD_DATA_DIR (or dataDir in the config) to a directory only you or root can write",
  });
}
