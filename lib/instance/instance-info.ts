import type { Virsh } from "../libvirt/virsh.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { loadInstance } from "./load-instance.ts";
import { instanceIp } from "./ssh-target.ts";

/** One instance, as `list` would show it, without listing the others. */
export async function instanceInfo(conn: Virsh, dataDir: string, name: string): Promise<InstanceInfo> {
  const instance = await loadInstance(conn, dataDir, name);
  const ip = instance.state === "running" ? await instanceIp(conn, instance) : null;
  return describe(instance.record, instance.paths, instance.state ?? "missing", ip);
}
