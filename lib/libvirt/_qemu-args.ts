import { ARCH_PROFILES } from "../machine/arch-profile.ts";
import type { Machine } from "../machine/machine.ts";
import type { DomainFiles } from "./_types.ts";

/**
 * Devices libvirt 9 cannot describe, as QEMU arguments (`<qemu:commandline>`): the
 * user-mode NIC that forwards ssh (libvirt 9 has no passt backend, and its
 * `<interface type="user">` cannot forward ports) and NVMe disks (no "nvme" disk bus
 * before libvirt 10). QEMU reads these before libvirt's own devices, so they sit at
 * fixed slots far above the ones libvirt assigns from 0x1 up (on s390x, which has no
 * PCI, at a CCW device number far above libvirt's from fe.0.0000 up).
 */
export function qemuArgs(m: Machine, files: DomainFiles): string[] {
  const bus = ARCH_PROFILES[m.arch].pciBus?.(m);
  const args: string[] = [];
  const first = m.nics[0];
  if (first?.network === "user") {
    // 127.0.0.1 keeps ssh off the LAN. restrict=on (isolated): the guest reaches nothing but its forwards.
    const forwards = [`tcp:127.0.0.1:${first.sshPort}-:22`, ...m.forwards.map((f) => `${f.proto}:${f.hostAddr}:${f.hostPort}-:${f.guestPort}`)];
    args.push("-netdev", ["user", "id=tcnet0", ...(m.isolated ? ["restrict=on"] : []), ...forwards.map((f) => `hostfwd=${f}`)].join(","));
    if (bus === undefined) args.push("-device", `virtio-net-ccw,netdev=tcnet0,mac=${first.mac},devno=fe.0.ff10`);
    else args.push("-device", `${m.type === "pc" ? "e1000" : "virtio-net-pci"},netdev=tcnet0,mac=${first.mac},romfile=,bus=${bus},addr=0x10`);
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

function slot(n: number): string {
  return `0x${n.toString(16)}`;
}
