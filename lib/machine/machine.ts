import type { Arch } from "./arch.ts";

/**
 * The machine an instance runs on: one value, made from flags and config
 * (lib/machine/options.ts), stored in the instance record, and rendered into the domain
 * XML (lib/libvirt/domain-xml.ts) as it is. A new device option is a field here, a row in
 * options.ts and a branch in the renderer.
 */
export interface Machine {
  /** The guest's architecture (lib/machine/arch-profile.ts says what each needs). */
  arch: Arch;
  /**
   * QEMU machine type: for x86_64 q35 (PCIe, the default) or pc (i440fx, for guests such as
   * el6/el7); virt for aarch64, pseries for ppc64le, s390-ccw-virtio for s390x.
   */
  type: "q35" | "pc" | "virt" | "pseries" | "s390-ccw-virtio";
  firmware: Firmware;
  /** The UEFI firmware files chosen from the host's descriptors at create; absent for bios. */
  loader?: Loader;
  /** kvm, or qemu (TCG emulation) where KVM does not really work. */
  virtType: "kvm" | "qemu";
  /** "auto" (host-passthrough under KVM, maximum under TCG) or a QEMU CPU model name. */
  cpu: string;
  memoryMiB: number;
  vcpus: number;
  /** Virtual size of the root disk in bytes; 0 keeps the image's own. */
  rootDiskSize: number;
  /** Empty disks beside the root disk, in the order given. */
  disks: ExtraDisk[];
  /** The first is the one ssh goes through. */
  nics: Nic[];
  /** User mode: the guest reaches nothing but the host's forwards to it (QEMU's restrict=on). */
  isolated: boolean;
  /** User mode: host ports forwarded to guest ports, beside ssh's. */
  forwards: Forward[];
  shares: Share[];
  tpm: boolean;
  graphics: "none" | "vnc";
}

/** "bios": the architecture's own firmware where it is not UEFI (SeaBIOS, SLOF on ppc64le, s390-ccw on s390x). */
export type Firmware = "bios" | "uefi" | "uefi-secure";

export interface Loader {
  /** The firmware code, mapped read-only. */
  code: string;
  /** The variables template libvirt copies into the instance's own NVRAM file. */
  varsTemplate: string;
  /** Secure Boot: needs SMM, so the q35 machine type. */
  secure: boolean;
}

export type DiskBus = "virtio" | "scsi" | "nvme";

export interface ExtraDisk {
  sizeBytes: number;
  /** What the guest sees it by: /dev/disk/by-id/…<serial>. */
  serial: string;
  bus: DiskBus;
}

/** A NIC on a libvirt network, or on QEMU's user-mode network ("user"). */
export interface Nic {
  network: string;
  mac: string;
  /** The host port forwarded to the guest's ssh: the first NIC in user mode only. */
  sshPort?: number;
}

/** A host port forwarded to a guest port through QEMU's user-mode network. */
export interface Forward {
  proto: "tcp" | "udp";
  /** A local address of the host: 127.0.0.1 unless given. */
  hostAddr: string;
  /** 0 until create picks a free one. */
  hostPort: number;
  guestPort: number;
}

/** How a forward is written: `[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]`. */
export function forwardSpec(f: Forward): string {
  return `${f.hostAddr}:${f.hostPort}:${f.guestPort}${f.proto === "udp" ? "/udp" : ""}`;
}

/** A host directory shared with the guest over virtiofs, mounted at /mnt/<tag>. */
export interface Share {
  hostDir: string;
  tag: string;
  readonly: boolean;
}

/** The NIC ssh goes through. */
export function sshNic(machine: Machine): Nic {
  return machine.nics[0]!;
}

/** True when ssh reaches the guest through a port forwarded on 127.0.0.1 (user mode). */
export function userMode(machine: Machine): boolean {
  return sshNic(machine).network === "user";
}

/** The port ssh connects to: the forwarded one in user mode, else 22 on the guest's address. */
export function sshPort(machine: Machine): number {
  const nic = sshNic(machine);
  return nic.network === "user" ? nic.sshPort! : 22;
}
