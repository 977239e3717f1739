import { listDomains, networkLeases, type Virsh } from "../libvirt/virsh.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { instanceNames, instancePaths, readRecord, type InstanceRecord } from "./state.ts";

/** Every instance on disk joined with libvirt's view: one `virsh list` plus one lease query per network. */
export async function listInstances(conn: Virsh, dataDir: string): Promise<InstanceInfo[]> {
  const names = await instanceNames(dataDir);
  const records = (await Promise.all(names.map((n) => readRecord(dataDir, n)))).filter(
    (r): r is InstanceRecord => r !== null && r.uri === conn.uri,
  );
  if (records.length === 0) return [];
  const states = await listDomains(conn);
  const leases = await leasesByNetwork(conn, records, states);
  return records.map((record) => {
    const state = states.get(record.name) ?? "missing";
    let ip: string | null = null;
    if (state === "running") {
      ip = record.network.mode === "user" ? "127.0.0.1" : (leases.get(record.mac.toLowerCase()) ?? null);
    }
    return describe(record, instancePaths(dataDir, record.name), state, ip);
  });
}

async function leasesByNetwork(conn: Virsh, records: InstanceRecord[], states: Map<string, string>) {
  const networks = new Set<string>();
  for (const r of records) {
    if (r.network.mode === "network" && states.get(r.name) === "running") networks.add(r.network.name);
  }
  const all = new Map<string, string>();
  for (const leases of await Promise.all([...networks].map((n) => networkLeases(conn, n).catch(() => new Map())))) {
    for (const [mac, ip] of leases) all.set(mac, ip);
  }
  return all;
}
