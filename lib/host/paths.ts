import { isAbsolute, join, resolve } from "./posix-path.ts";

/** Where testcloud keeps instances and images: root uses /var/lib, users their XDG data dir. */
export function dataDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.TESTCLOUD_DATA_DIR) return resolve(env.TESTCLOUD_DATA_DIR);
  if (uid === 0) return "/var/lib/testcloud";
  // The XDG spec says a relative value must be ignored.
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homeDir(env), ".local", "share");
  return join(xdg, "testcloud");
}

/**
 * $HOME, else the user's passwd entry, as node:os's homedir(); node:os is loaded only then:
 * loading it costs ≈1 ms of start-up in a compiled binary.
 */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || process.getBuiltinModule("node:os").homedir();
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
