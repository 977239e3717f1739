import { lstatSync, readdirSync, type Stats } from "node:fs";
import { join } from "../host/posix-path.ts";

/** What a directory tree holds, counted as the guest scripts count it (find .). */
export interface TreeManifest {
  /** Every name, the top directory included. */
  entries: number;
  /** Bytes of the regular files. */
  bytes: number;
  /** The first entry that is not a file, directory or symlink (a device, fifo, socket). */
  special?: string;
  /** The first file with a hard link to a name outside the tree. */
  linkedOutside?: string;
  /** Files and directories with setuid, setgid or sticky bits. */
  privileged: { path: string; mode: number }[];
}

/** Walks a tree without following symlinks (the top directory itself is followed). */
export function treeManifest(root: string): TreeManifest {
  const manifest: TreeManifest = { entries: 0, bytes: 0, privileged: [] };
  const links = new Map<string, { path: string; seen: number; nlink: number }>();
  const visit = (path: string, stats: Stats) => {
    manifest.entries++;
    if (stats.mode & 0o7000) manifest.privileged.push({ path, mode: stats.mode & 0o7777 });
    if (stats.isFile()) {
      manifest.bytes += stats.size;
      if (stats.nlink > 1) {
        const key = `${stats.dev}:${stats.ino}`;
        const link = links.get(key) ?? { path, seen: 0, nlink: stats.nlink };
        link.seen++;
        links.set(key, link);
      }
    } else if (stats.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name), lstatSync(join(path, name)));
    } else if (!stats.isSymbolicLink()) {
      manifest.special ??= path;
    }
  };
  visit(root, lstatSync(`${root}/.`));
  manifest.linkedOutside = [...links.values()].find((link) => link.seen < link.nlink)?.path;
  return manifest;
}
