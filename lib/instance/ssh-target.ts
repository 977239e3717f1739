import { sshNic } from "../machine/machine.ts";
import { StateError } from "../errors.ts";
import type { SshTarget } from "../host/ssh.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { networkLeases } from "../libvirt/virsh-network.ts";
import { sshTarget } from "./describe.ts";
import { loadInstance, type LoadedInstance } from "./load-instance.ts";

/** How to reach a running instance over ssh; clear errors when it is missing or stopped. */
export async function resolveSshTarget(conn: Virsh, dataDir: string, name: string): Promise<SshTarget> {
  const instance = await loadInstance(conn, dataDir, name);
  assertRunning(instance);
  const ip = await instanceIp(conn, instance);
  if (!ip) throw new StateError(`Instance has no IP address yet: "${name}"`, { hint: `testcloud wait ${name}` });
  return sshTarget(instance.record, instance.paths, ip);
}

/** The address ssh reaches the guest at: 127.0.0.1 in user mode, else its DHCP lease. */
export async function instanceIp(conn: Virsh, { record }: LoadedInstance): Promise<string | null> {
  const nic = sshNic(record.machine);
  if (nic.network === "user") return "127.0.0.1";
  return (await networkLeases(conn, nic.network)).get(nic.mac.toLowerCase()) ?? null;
}

/** Throws a StateError unless the domain is running. */
export function assertRunning({ record, state }: LoadedInstance): void {
  if (state === "running") return;
  throw new StateError(`Instance is not running: "${record.name}" is ${state ?? "not defined in libvirt"}`, {
    code: "E_NOT_RUNNING",
    hint: state ? `testcloud start ${record.name}` : `testcloud remove ${record.name}`,
  });
}
