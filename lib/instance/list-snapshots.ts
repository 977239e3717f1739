import type { Virsh } from "../libvirt/virsh.ts";
import type { DomainSnapshot } from "../libvirt/virsh-snapshot.ts";
import { loadSnapshotTarget } from "./_snapshot-target.ts";

/** The snapshots of an instance, oldest first, libvirt's current one marked. */
export async function listSnapshots(conn: Virsh, dataDir: string, name: string): Promise<DomainSnapshot[]> {
  return (await loadSnapshotTarget(conn, dataDir, name)).snapshots;
}
