import { parseLeases } from "./_virsh-output.ts";
import { networkActiveRpc, networkLeasesRpc } from "./rpc.ts";
import { networkNotFound, viaRpc, virsh, type Virsh } from "./virsh.ts";

// The libvirt networks instances use: over libvirtd's RPC socket, else through virsh.

/** Checks that a libvirt network exists and is active. */
export async function networkActive(conn: Virsh, name: string): Promise<boolean> {
  const fast = await viaRpc(conn, (client) => networkActiveRpc(client, name));
  if (fast === null) throw networkNotFound(name);
  if (fast !== undefined) return fast;
  const result = await virsh(conn, ["net-info", name]);
  return /^Active:\s+yes/m.test(result.stdout);
}

/** The DHCP leases of a libvirt network (MAC → IPv4 address): over RPC, else in one virsh call. */
export async function networkLeases(conn: Virsh, network: string): Promise<Map<string, string>> {
  const fast = await viaRpc(conn, (client) => networkLeasesRpc(client, network));
  if (fast === null) throw networkNotFound(network);
  if (fast !== undefined) return fast;
  return parseLeases((await virsh(conn, ["net-dhcp-leases", network])).stdout);
}

/** Names of every libvirt network, active or not (for shell completion; one virsh call). */
export async function listNetworks(conn: Virsh): Promise<string[]> {
  const result = await virsh(conn, ["net-list", "--all", "--name"]);
  return result.stdout.split("\n").map((line) => line.trim()).filter(Boolean);
}
