import { sshNic, userMode } from "../machine/machine.ts";
import { domainTitle } from "../libvirt/domain-title.ts";
import { listDomainSummaries, type Virsh } from "../libvirt/virsh.ts";
import { networkLeases } from "../libvirt/virsh-network.ts";
import { describe, describeOrphan, type InstanceInfo } from "./describe.ts";
import { creationInProgress, creationMarked } from "./creation-in-progress.ts";
import { instanceNames, instancePaths, readRecord, type InstanceRecord } from "./state.ts";

/**
 * Every instance: directories on disk joined with the domains libvirt marks as
 * ours (one `virsh list --title`), plus one lease query per network in use.
 * Mismatches are listed too, each with a `problem`.
 */
export async function listInstances(conn: Virsh, dataDir: string): Promise<InstanceInfo[]> {
  const [names, domains] = await Promise.all([instanceNames(dataDir), listDomainSummaries(conn)]);
  // Records name their domain by UUID: a foreign domain of the same name is not ours.
  const byUuid = new Map(domains.map((d) => [d.uuid, d.state]));
  const states = new Map(domains.map((d) => [d.name, d.state]));
  const records = new Map<string, InstanceRecord>();
  const result: InstanceInfo[] = [];
  for (const name of names) {
    const record = await readRecord(dataDir, name);
    if (record && record.uri !== conn.uri) continue;
    if (record) records.set(name, record);
    else result.push(await incomplete(conn, dataDir, name, states.get(name)));
  }
  const leases = await leasesByNetwork(conn, [...records.values()], byUuid);
  for (const record of records.values()) {
    const state = byUuid.get(record.uuid) ?? "missing";
    let ip: string | null = null;
    if (state === "running") {
      const nic = sshNic(record.machine);
      ip = nic.network === "user" ? "127.0.0.1" : (leases.get(nic.mac.toLowerCase()) ?? null);
    }
    const paths = instancePaths(dataDir, record.name);
    const info = describe(record, paths, state, ip);
    // Marked as being created by a process that is gone: a killed create.
    if ((await creationMarked(paths.dir)) && !(await creationInProgress(paths.dir))) info.problem = "create did not finish; run: testcloud clean";
    result.push(info);
  }
  for (const domain of domains) {
    if (domain.title === domainTitle(dataDir) && !names.includes(domain.name)) {
      const dir = instancePaths(dataDir, domain.name).dir;
      result.push(describeOrphan(domain.name, conn.uri, domain.state, dir, "the instance directory is gone; run: testcloud clean"));
    }
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

async function incomplete(conn: Virsh, dataDir: string, name: string, state: string | undefined): Promise<InstanceInfo> {
  const dir = instancePaths(dataDir, name).dir;
  if (await creationInProgress(dir)) return { ...describeOrphan(name, conn.uri, "creating", dir, ""), problem: null };
  return describeOrphan(name, conn.uri, state ?? "missing", dir, "create did not finish; run: testcloud clean");
}

async function leasesByNetwork(conn: Virsh, records: InstanceRecord[], stateByUuid: Map<string, string>) {
  const networks = new Set<string>();
  for (const r of records) {
    if (!userMode(r.machine) && stateByUuid.get(r.uuid) === "running") networks.add(sshNic(r.machine).network);
  }
  const all = new Map<string, string>();
  for (const leases of await Promise.all([...networks].map((n) => networkLeases(conn, n).catch(() => new Map())))) {
    for (const [mac, ip] of leases) all.set(mac, ip);
  }
  return all;
}
