import { writeFile } from "node:fs/promises";
import { defineDomain, domainStateByUuid, type Virsh } from "../libvirt/virsh.ts";
import { revertDomainSnapshot } from "../libvirt/virsh-snapshot.ts";
import { domainXml } from "./_prepare.ts";
import { findSnapshot, loadSnapshotTarget } from "./_snapshot-target.ts";
import type { SnapshotResult } from "./create-snapshot.ts";
import { waitInstance, type WaitFor, type WaitResult } from "./wait-instance.ts";

/** What `snapshot revert` did: the state the instance ended in and, if it runs, its readiness. */
export interface RevertResult extends SnapshotResult {
  state: string;
  /** True when the guest was booted from the snapshot's disks (a running instance, a snapshot without memory). */
  booted: boolean;
  ready: WaitResult | null;
}

/**
 * Reverts an instance to a snapshot. One with memory resumes the guest where it was. One
 * without is a powered-off machine: a running instance is powered off hard (like `stop`),
 * its disks reverted, booted again, and waited for until ssh works; a stopped one stays
 * stopped. The guest's host key and our key live in the disks and the seed, so the same
 * known_hosts works afterwards.
 */
export async function revertSnapshot(
  conn: Virsh,
  dataDir: string,
  name: string,
  snapshot: string,
  wait: { for: WaitFor | "none"; timeoutS: number; defaultTimeout?: boolean; signal?: AbortSignal; sshConnectTimeoutS?: number },
): Promise<RevertResult> {
  const target = await loadSnapshotTarget(conn, dataDir, name, snapshot);
  const found = findSnapshot(target, snapshot);
  const { record, paths } = target.instance;
  const booted = target.state !== "shut off" && !found.memory;
  await revertDomainSnapshot(conn, record.uuid, snapshot, { running: booted });
  // libvirt put back the definition saved with the snapshot: ours is the record's (with the
  // forwards added since), so the next start gets it.
  await writeFile(paths.domainXml, domainXml(record, paths, dataDir));
  await defineDomain(conn, paths.domainXml);
  const state = (await domainStateByUuid(conn, record.uuid)) ?? "missing";
  const ready =
    state === "running" && wait.for !== "none"
      ? await waitInstance(conn, dataDir, name, { ...wait, for: wait.for })
      : null;
  return { instance: name, snapshot: { ...found, current: true }, state, booted, ready };
}
