import { AlreadyExistsError, NotFoundError, StateError } from "../errors.ts";
import { checkUuid } from "./_uuid.ts";
import { parseSnapshotList, type SnapshotRow } from "./_virsh-output.ts";
import { failed, virsh, type Virsh } from "./virsh.ts";

// libvirt's snapshot verbs, one wrapper each. Like every verb that changes a domain they
// name it by the UUID in our record, last on the line (failed() names what was not found).

/** A snapshot of a domain, as libvirt lists it. */
export interface DomainSnapshot extends SnapshotRow {
  /** libvirt's current snapshot: the one taken or reverted to last. */
  current: boolean;
}

const NO_SNAPSHOT = /Domain snapshot not found/i;
const SNAPSHOT_EXISTS = /already exists/i;
const NO_CURRENT = /has no current snapshot/i;
// QEMU's savevm refuses a device it cannot save (nvme, vhost-user-fs in QEMU 7.2), and
// libvirt 9 refuses internal snapshots of a domain with pflash (UEFI) firmware.
const CANNOT_SNAPSHOT = /non-migratable device|pflash/i;

/** Every snapshot of the domain, oldest first: `snapshot-list` and `snapshot-current` side by side. */
export async function listDomainSnapshots(conn: Virsh, uuid: string): Promise<DomainSnapshot[]> {
  const id = checkUuid(uuid);
  const currentArgs = ["snapshot-current", "--name", "--domain", id];
  const [list, current] = await Promise.all([virsh(conn, ["snapshot-list", "--domain", id]), virsh(conn, currentArgs, true)]);
  if (current.exitCode !== 0 && !NO_CURRENT.test(current.stderr)) failed(conn, currentArgs, current);
  const currentName = current.exitCode === 0 ? current.stdout.trim() : null;
  return parseSnapshotList(list.stdout)
    .map((s) => ({ ...s, current: s.name === currentName }))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/**
 * Takes an internal snapshot, inside the qcow2 disks: their state, and the memory of a
 * running domain (QEMU savevm). Read-only disks (the seed) are left out.
 */
export async function createDomainSnapshot(conn: Virsh, uuid: string, name: string): Promise<void> {
  await snapshotVerb(conn, ["snapshot-create-as", "--name", name, "--atomic", "--domain", checkUuid(uuid)], name);
}

/**
 * Reverts the domain, its definition included, to a snapshot. One with memory leaves
 * it running; one without powers a running domain off (hard) first and leaves it off,
 * unless `running` boots it again.
 */
export async function revertDomainSnapshot(conn: Virsh, uuid: string, name: string, options: { running?: boolean } = {}): Promise<void> {
  const running = options.running ? ["--running"] : [];
  await snapshotVerb(conn, ["snapshot-revert", "--snapshotname", name, ...running, "--domain", checkUuid(uuid)], name);
}

/** Deletes a snapshot (from the disks, and its metadata); its children stay. */
export async function deleteDomainSnapshot(conn: Virsh, uuid: string, name: string): Promise<void> {
  await snapshotVerb(conn, ["snapshot-delete", "--snapshotname", name, "--domain", checkUuid(uuid)], name);
}

/** Runs a snapshot verb; a missing, duplicate or impossible snapshot is its own typed error. */
async function snapshotVerb(conn: Virsh, args: string[], name: string): Promise<void> {
  const result = await virsh(conn, args, true);
  if (result.exitCode === 0) return;
  const { stderr } = result;
  if (NO_SNAPSHOT.test(stderr)) throw new NotFoundError(`Snapshot not found: "${name}"`, { code: "E_SNAPSHOT_NOT_FOUND" });
  if (SNAPSHOT_EXISTS.test(stderr)) throw new AlreadyExistsError(`Snapshot already exists: "${name}"`, { code: "E_SNAPSHOT_EXISTS" });
  if (CANNOT_SNAPSHOT.test(stderr)) {
    const reason = stderr.trim().split("\n").at(-1)!.replace(/^error:\s*/, "");
    throw new StateError(`libvirt refused the snapshot: ${reason}`, { code: "E_SNAPSHOT_UNSUPPORTED" });
  }
  failed(conn, args, result);
}
