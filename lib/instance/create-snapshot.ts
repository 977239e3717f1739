import { AlreadyExistsError, StateError, TestcloudError } from "../errors.ts";
import type { Machine } from "../machine/machine.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { createDomainSnapshot, listDomainSnapshots, type DomainSnapshot } from "../libvirt/virsh-snapshot.ts";
import { loadSnapshotTarget } from "./_snapshot-target.ts";

/** What a snapshot verb did, and to which snapshot. */
export interface SnapshotResult {
  instance: string;
  snapshot: DomainSnapshot;
}

/**
 * Snapshots an instance inside its qcow2 disks: a running one with its memory (revert
 * resumes it where it was), a stopped one as its disks. Refused before libvirt is asked
 * where the snapshot could not hold the whole machine; libvirt's --atomic leaves nothing
 * behind when it fails.
 */
export async function createSnapshot(conn: Virsh, dataDir: string, name: string, snapshot: string): Promise<SnapshotResult> {
  const target = await loadSnapshotTarget(conn, dataDir, name, snapshot);
  const { uuid, machine } = target.instance.record;
  checkSnapshotable(name, machine);
  if (target.snapshots.some((s) => s.name === snapshot)) {
    throw new AlreadyExistsError(`Snapshot already exists: "${snapshot}" of instance "${name}"`, {
      code: "E_SNAPSHOT_EXISTS",
      hint: `testcloud snapshot remove ${name} ${snapshot}`,
    });
  }
  await createDomainSnapshot(conn, uuid, snapshot).catch((error: unknown) => {
    // A device QEMU cannot save (a virtiofs share) only stops a snapshot with memory.
    if (!(error instanceof StateError && error.code === "E_SNAPSHOT_UNSUPPORTED" && target.state !== "shut off")) throw error;
    throw new StateError(`Cannot snapshot "${name}" while it runs: ${error.message}`, {
      code: "E_SNAPSHOT_UNSUPPORTED",
      hint: `testcloud stop ${name}, then snapshot its disks`,
    });
  });
  const made = (await listDomainSnapshots(conn, uuid)).find((s) => s.name === snapshot);
  if (!made) throw new TestcloudError(`libvirt does not list the snapshot it made: "${snapshot}"`, 1, "E_INTERNAL");
  return { instance: name, snapshot: made };
}

/** Refuses machines whose snapshot libvirt 9 would refuse, or would take only in part. */
function checkSnapshotable(name: string, machine: Machine): void {
  if (machine.firmware !== "bios") {
    throw new StateError(`Cannot snapshot "${name}": libvirt 9 takes no internal snapshot of a UEFI instance (raw pflash NVRAM)`, {
      code: "E_SNAPSHOT_UNSUPPORTED",
      hint: "create instances you snapshot with --firmware bios",
    });
  }
  if (machine.disks.some((d) => d.bus === "nvme")) {
    throw new StateError(`Cannot snapshot "${name}": its NVMe disks are QEMU arguments libvirt does not know, a snapshot would leave them out`, {
      code: "E_SNAPSHOT_UNSUPPORTED",
      hint: "give the disks of instances you snapshot bus=virtio or bus=scsi",
    });
  }
}
