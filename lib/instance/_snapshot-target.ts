import { NotFoundError, StateError } from "../errors.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { listDomainSnapshots, type DomainSnapshot } from "../libvirt/virsh-snapshot.ts";
import { loadInstance, type LoadedInstance } from "./load-instance.ts";
import { validateName } from "./names.ts";
import { validateSnapshotName } from "./snapshot-name.ts";

/** An instance whose libvirt domain exists, with the domain's snapshots: where every snapshot verb starts. */
export interface SnapshotTarget {
  instance: LoadedInstance;
  /** libvirt's state of the domain. */
  state: string;
  snapshots: DomainSnapshot[];
}

/**
 * Loads an instance and its snapshots. Both names are checked before anything is asked;
 * an instance without a domain has no snapshot metadata to read or change.
 */
export async function loadSnapshotTarget(conn: Virsh, dataDir: string, name: string, snapshot?: string): Promise<SnapshotTarget> {
  validateName(name);
  if (snapshot !== undefined) validateSnapshotName(snapshot);
  const instance = await loadInstance(conn, dataDir, name);
  if (!instance.state) throw new StateError(`Instance has no libvirt domain: "${name}"`, { hint: `testcloud remove ${name}` });
  return { instance, state: instance.state, snapshots: await listDomainSnapshots(conn, instance.record.uuid) };
}

/** The snapshot of that name, or a NotFoundError naming the instance. */
export function findSnapshot(target: SnapshotTarget, snapshot: string): DomainSnapshot {
  const found = target.snapshots.find((s) => s.name === snapshot);
  if (found) return found;
  const name = target.instance.record.name;
  throw new NotFoundError(`Snapshot not found: "${snapshot}" of instance "${name}"`, {
    code: "E_SNAPSHOT_NOT_FOUND",
    hint: `testcloud snapshot list ${name}`,
  });
}
