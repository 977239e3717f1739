import { checkUuid } from "./_uuid.ts";
import { attachDeviceLiveRpc, restoreRpc } from "./_rpc-changes.ts";
import { virsh, viaRpcChange, type Virsh } from "./virsh.ts";

// The virsh verbs templates and forks use. Like every verb that changes a domain, they
// name it by the UUID in our record.

/** Starts a transient domain from an XML file (gone once it stops or is saved). */
export async function createDomain(conn: Virsh, xmlPath: string): Promise<void> {
  await virsh(conn, ["create", xmlPath]);
}

/** Saves a running domain's memory and device state to `path`; the domain stops. */
export async function saveDomain(conn: Virsh, uuid: string, path: string): Promise<void> {
  await virsh(conn, ["save", checkUuid(uuid), path]);
}

/** Restores the domain of a save image (or a FIFO that gives one); waits up to `timeoutMs` for libvirt. */
export async function restoreDomainFrom(conn: Virsh, path: string, timeoutMs: number): Promise<void> {
  const args = ["restore", path];
  const done = await viaRpcChange(conn, args, (c) => restoreRpc(c, path, timeoutMs).then(() => true));
  if (!done) await virsh(conn, args);
}

/** Hot-plugs the device described in an XML file into the running domain (not its definition). */
export async function attachDevice(conn: Virsh, uuid: string, xmlPath: string): Promise<void> {
  const args = ["attach-device", checkUuid(uuid), xmlPath, "--live"];
  const done = await viaRpcChange(conn, args, async (c) => attachDeviceLiveRpc(c, uuid, await Bun.file(xmlPath).text()).then(() => true));
  if (!done) await virsh(conn, args);
}

/**
 * Asks the guest to release the device with this alias; returns at once. The device is
 * gone once the guest acknowledged it (see domainXml).
 */
export async function detachDeviceAlias(conn: Virsh, uuid: string, alias: string): Promise<void> {
  await virsh(conn, ["detach-device-alias", checkUuid(uuid), alias, "--live"]);
}

/** The running domain's XML as libvirt holds it, with the addresses it assigned. */
export async function liveDomainXml(conn: Virsh, uuid: string): Promise<string> {
  return (await virsh(conn, ["dumpxml", checkUuid(uuid)])).stdout;
}

/**
 * The QEMU command line libvirt would run for an XML file, with every device and
 * controller it adds on its own; nothing is defined or started.
 */
export async function nativeArgv(conn: Virsh, xmlPath: string): Promise<string> {
  return (await virsh(conn, ["domxml-to-native", "qemu-argv", xmlPath])).stdout;
}
