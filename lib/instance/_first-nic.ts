import { writeFile } from "node:fs/promises";
import { join } from "../host/posix-path.ts";
import { TimeoutError, ToolError } from "../errors.ts";
import { iface, NIC_ALIAS } from "../libvirt/domain-xml.ts";
import { userNicDevice, USER_NETDEV_ID, USER_NIC_ID } from "../libvirt/_qemu-args.ts";
import { renderXml } from "../libvirt/_xml.ts";
import { monitorCommand, type Virsh } from "../libvirt/virsh.ts";
import { attachDevice, detachDeviceAlias, liveDomainXml, nativeArgv } from "../libvirt/virsh-save.ts";
import { sshNic, userMode, type Machine } from "../machine/machine.ts";

// A template's first NIC sits in a PCIe root port of its own (see NicPort in domain-xml.ts):
// it is unplugged before the template is saved, and a fork's is plugged into a restored fork.

/**
 * The controller index for the first NIC's root port: one past the root ports libvirt adds
 * for the other devices of `xmlPath` (a domain XML without that NIC), as libvirt says.
 */
export async function nicPortIndex(conn: Virsh, xmlPath: string): Promise<number> {
  const argv = await nativeArgv(conn, xmlPath);
  return (argv.match(/"driver":"pcie-root-port"/g)?.length ?? 0) + 1;
}

/** Plugs the first NIC of `machine` into its root port of a running domain. */
export async function plugFirstNic(conn: Virsh, uuid: string, machine: Machine, port: number, dir: string): Promise<void> {
  if (userMode(machine)) return monitor(conn, uuid, `device_add ${userNicDevice(machine, { index: port })}`);
  const file = join(dir, "nic.xml");
  await writeFile(file, renderXml(iface(sshNic(machine), machine, port)) + "\n");
  await attachDevice(conn, uuid, file);
}

/**
 * Unplugs the first NIC (and in user mode its network backend, whose state would go into the
 * save) and waits until the guest has let go of it: a NIC still in the saved state would
 * come back, with the template's MAC, in every fork.
 */
export async function unplugFirstNic(conn: Virsh, uuid: string, machine: Machine, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const user = userMode(machine);
  if (user) await monitor(conn, uuid, `device_del ${USER_NIC_ID}`);
  else await detachDeviceAlias(conn, uuid, NIC_ALIAS);
  const present = user
    ? async () => (await monitorCommand(conn, uuid, "info network")).includes(`${USER_NIC_ID}:`)
    : async () => (await liveDomainXml(conn, uuid)).includes(`'${NIC_ALIAS}'`);
  while (await present()) {
    if (performance.now() > deadline) {
      throw new TimeoutError(`The guest did not release its NIC within ${Math.round(timeoutMs / 1000)} s`, {
        hint: "the image's kernel needs ACPI PCI hot-plug (CONFIG_HOTPLUG_PCI_ACPI) for templates",
      });
    }
    await Bun.sleep(100);
  }
  if (user) await monitor(conn, uuid, `netdev_del ${USER_NETDEV_ID}`);
}

/** A QEMU monitor command whose only output is an error. */
async function monitor(conn: Virsh, uuid: string, command: string): Promise<void> {
  const output = await monitorCommand(conn, uuid, command);
  if (output) throw new ToolError(["virsh", "qemu-monitor-command", uuid, "--hmp", command], 0, output);
}
