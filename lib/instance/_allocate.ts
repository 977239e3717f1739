import type { Machine } from "../machine/machine.ts";
import { allocatePort, allocateUdpPort } from "./allocate-port.ts";
import { instanceNames, readRecord } from "./state.ts";

/**
 * Gives each NIC a MAC; in user mode, the first NIC a free port for ssh and each forward
 * asked with host port 0 a free one. Returns the indexes of those forwards: their ports
 * may be picked again if another process takes one before QEMU binds it.
 */
export async function allocateNics(machine: Machine, dataDir: string): Promise<number[]> {
  const macs = new Set<string>();
  for (const nic of machine.nics) {
    do nic.mac = randomMac();
    while (macs.has(nic.mac));
    macs.add(nic.mac);
  }
  if (machine.nics[0]!.network !== "user") return [];
  machine.nics[0]!.sshPort = await freePort(dataDir);
  const picked = machine.forwards.flatMap((f, i) => (f.hostPort === 0 ? [i] : []));
  await repickForwards(machine, picked);
  return picked;
}

/** Picks new free host ports for the forwards at these indexes. */
export async function repickForwards(machine: Machine, indexes: number[]): Promise<void> {
  for (const i of indexes) {
    const f = machine.forwards[i]!;
    f.hostPort = f.proto === "tcp" ? allocatePort(new Set([machine.nics[0]!.sshPort!]), f.hostAddr) : await allocateUdpPort(f.hostAddr);
  }
}

/** A port no other instance of this data dir forwards, free on 127.0.0.1 right now. */
export async function freePort(dataDir: string): Promise<number> {
  const taken = new Set<number>();
  for (const other of await instanceNames(dataDir)) {
    const port = (await readRecord(dataDir, other))?.machine.nics[0]?.sshPort;
    if (port) taken.add(port);
  }
  return allocatePort(taken);
}

/** A locally administered MAC in QEMU's 52:54:00 range, zero-padded. */
function randomMac(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return ["52", "54", "00", ...[...bytes].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}
