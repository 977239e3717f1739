import { ARCH_PROFILES } from "../machine/arch-profile.ts";
import type { Machine } from "../machine/machine.ts";
import type { DomainFiles } from "./_types.ts";

/** The id of the first user-mode NIC's device: templates unplug it by this name. */
export const USER_NIC_ID = "tcnic0";
/** The id of the first user-mode NIC's network backend. */
export const USER_NETDEV_ID = "tcnet0";
/**
 * What QEMU's user-mode network (its defaults, which we keep) gives its first DHCP client,
 * and so every guest: a fork takes it without asking.
 */
export const USER_NET_ADDRESS = { address: "10.0.2.15/24", gateway: "10.0.2.2", dns: "10.0.2.3" } as const;

/**
 * Devices libvirt 9 cannot describe, as QEMU arguments (`<qemu:commandline>`): the
 * user-mode NIC that forwards ssh (libvirt 9 has no passt backend, and its
 * `<interface type="user">` cannot forward ports) and NVMe disks (no "nvme" disk bus
 * before libvirt 10). QEMU reads these before libvirt's own devices, so they sit at
 * fixed slots far above the ones libvirt assigns from 0x1 up (on s390x, which has no
 * PCI, at a CCW device number far above libvirt's from fe.0.0000 up).
 */
export function qemuArgs(m: Machine, files: DomainFiles, port?: { index: number; plugged: boolean }): string[] {
  const bus = ARCH_PROFILES[m.arch].pciBus?.(m);
  const args: string[] = [];
  const first = m.nics[0];
  if (first?.network === "user") {
    // 127.0.0.1 keeps ssh off the LAN. restrict=on (isolated): the guest reaches nothing but its forwards.
    const forwards = [`tcp:127.0.0.1:${first.sshPort}-:22`, ...m.forwards.map((f) => `${f.proto}:${f.hostAddr}:${f.hostPort}-:${f.guestPort}`)];
    args.push("-netdev", ["user", `id=${USER_NETDEV_ID}`, ...(m.isolated ? ["restrict=on"] : []), ...forwards.map((f) => `hostfwd=${f}`)].join(","));
    if (bus === undefined) args.push("-device", `virtio-net-ccw,netdev=${USER_NETDEV_ID},mac=${first.mac},devno=fe.0.ff10`);
    else if (!port) args.push("-device", userNicDevice(m));
    // In a root port of libvirt's, as JSON: QEMU makes the keyval -devices before the JSON
    // ones, libvirt's root ports among them, and the port must exist first.
    else if (port.plugged) args.push("-device", JSON.stringify(userNicProps(m, port)));
  }
  m.disks.forEach((disk, i) => {
    if (disk.bus !== "nvme") return;
    const id = `tcnvme${i}`;
    // QEMU option values end at a comma unless it is doubled.
    args.push("-drive", `file=${files.disks[i]!.replaceAll(",", ",,")},format=qcow2,if=none,id=${id},discard=unmap`);
    args.push("-device", `nvme,drive=${id},serial=${disk.serial},bus=${bus},addr=${slot(0x11 + i)}`);
  });
  return args;
}

/**
 * The first user-mode NIC's QEMU device: at slot 0x10 of the root bus, or (templates and
 * forks) in its own root port, libvirt's controller `pci.N`, where it can be unplugged.
 */
export function userNicDevice(m: Machine, port?: { index: number }): string {
  const model = m.type === "pc" ? "e1000" : "virtio-net-pci";
  const where = port ? `bus=pci.${port.index},addr=0x0,id=${USER_NIC_ID}` : `bus=${ARCH_PROFILES[m.arch].pciBus?.(m) ?? "pcie.0"},addr=0x10`;
  return `${model},netdev=${USER_NETDEV_ID},mac=${m.nics[0]!.mac},romfile=,${where}`;
}

/** The same device in a root port, as QEMU's JSON -device properties. */
function userNicProps(m: Machine, port: { index: number }): Record<string, string> {
  const driver = m.type === "pc" ? "e1000" : "virtio-net-pci";
  return { driver, netdev: USER_NETDEV_ID, mac: m.nics[0]!.mac!, romfile: "", bus: `pci.${port.index}`, addr: "0x0", id: USER_NIC_ID };
}

function slot(n: number): string {
  return `0x${n.toString(16)}`;
}
