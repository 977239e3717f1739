import { homedir } from "node:os";
import { join } from "node:path";

/** Where testcloud keeps instances and images: root uses /var/lib, users their XDG data dir. */
export function dataDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.TESTCLOUD_DATA_DIR) return env.TESTCLOUD_DATA_DIR;
  if (uid === 0) return "/var/lib/testcloud";
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "testcloud");
}

/** Directory of one instance. The name is validated before it gets here. */
export function instanceDir(root: string, name: string): string {
  return join(root, "instances", name);
}

/** Directory of the image cache. */
export function imagesDir(root: string): string {
  return join(root, "images");
}

/** Default libvirt URI: the system daemon for root, the session daemon otherwise. */
export function defaultUri(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  return env.TESTCLOUD_CONNECT || env.LIBVIRT_DEFAULT_URI || (uid === 0 ? "qemu:///system" : "qemu:///session");
}
