import type { Virsh } from "../libvirt/virsh.ts";
import { deleteDomainSnapshot } from "../libvirt/virsh-snapshot.ts";
import { findSnapshot, loadSnapshotTarget } from "./_snapshot-target.ts";
import type { SnapshotResult } from "./create-snapshot.ts";

/** Deletes one snapshot of an instance, running or not; the instance and its other snapshots stay as they are. */
export async function removeSnapshot(conn: Virsh, dataDir: string, name: string, snapshot: string): Promise<SnapshotResult> {
  const target = await loadSnapshotTarget(conn, dataDir, name, snapshot);
  const found = findSnapshot(target, snapshot);
  await deleteDomainSnapshot(conn, target.instance.record.uuid, snapshot);
  return { instance: name, snapshot: found };
}
