import type { Virsh } from "../libvirt/virsh.ts";
import { listDomainSnapshots, type DomainSnapshot } from "../libvirt/virsh-snapshot.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { loadInstance } from "./load-instance.ts";
import { instanceIp } from "./ssh-target.ts";

/** One instance as `info` shows it: what `list` shows, and its snapshots (which `list` does not ask for). */
export interface InstanceDetails extends InstanceInfo {
  /** Oldest first, as `snapshot list` shows them; empty when the domain is gone. */
  snapshots: DomainSnapshot[];
}

/** One instance, as `list` would show it, without listing the others, and its snapshots. */
export async function instanceInfo(conn: Virsh, dataDir: string, name: string): Promise<InstanceDetails> {
  const instance = await loadInstance(conn, dataDir, name);
  const [ip, snapshots] = await Promise.all([
    instance.state === "running" ? instanceIp(conn, instance) : null,
    instance.state ? listDomainSnapshots(conn, instance.record.uuid) : [],
  ]);
  return { ...describe(instance.record, instance.paths, instance.state ?? "missing", ip), snapshots };
}
