import type { Machine } from "../machine/machine.ts";
import { allocatePort } from "./allocate-port.ts";
import { instanceNames, readRecord } from "./state.ts";

/** Gives each NIC a MAC, and the first one, in user mode, a free port for ssh. */
export async function allocateNics(machine: Machine, dataDir: string): Promise<void> {
  const macs = new Set<string>();
  for (const nic of machine.nics) {
    do nic.mac = randomMac();
    while (macs.has(nic.mac));
    macs.add(nic.mac);
  }
  if (machine.nics[0]!.network === "user") machine.nics[0]!.sshPort = await freePort(dataDir);
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
