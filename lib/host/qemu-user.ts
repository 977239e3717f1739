import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { DependencyError } from "../errors.ts";

/**
 * The user the system libvirt daemon runs QEMU as: `user` in /etc/libvirt/qemu.conf,
 * else the distribution's default (libvirt-qemu on Debian/Ubuntu, qemu on Fedora/RHEL).
 */
export function qemuUser(conf = "/etc/libvirt/qemu.conf"): { name: string; uid: number; gid: number } {
  let configured: string | undefined;
  try {
    configured = /^\s*user\s*=\s*"([^"]+)"/m.exec(readFileSync(conf, "utf8"))?.[1];
  } catch {}
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":"));
  for (const name of configured ? [configured] : ["libvirt-qemu", "qemu"]) {
    const entry = passwd.find((f) => f[0] === name);
    if (entry) return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new DependencyError(`Cannot find the user libvirt runs QEMU as (${configured ?? "libvirt-qemu or qemu"})`, {
    hint: `check "user" in ${conf}; running as ${userInfo().username}`,
  });
}
