import { hostArch, type Arch } from "./arch.ts";
import type { Firmware, Machine } from "./machine.ts";

/** What a guest of one architecture needs from QEMU and libvirt. */
export interface ArchProfile {
  /** The QEMU machine types it can have, the default first. */
  machines: Machine["type"][];
  /** The firmware its cloud images boot from (the default), and the others it may have. */
  firmwares: Firmware[];
  /** The emulator libvirt runs, and the Debian package that has it. */
  emulator: string;
  package: string;
  /** The CPU under TCG: "maximum" (QEMU's `max`: all it can emulate) or a named model where there is no `max`. */
  tcgCpu: string;
  /** The serial port: libvirt's target type and model (x86_64: libvirt's default); null without one (s390x's SCLP console). */
  serial: { type?: string; model?: string } | null;
  /** The console's target type. */
  console: string;
  /** Where QEMU arguments put a PCI device (the user-mode NIC, NVMe): the root bus; null without PCI. */
  pciBus: ((m: Machine) => string) | null;
}

/**
 * Each architecture's machine: x86_64 as before; aarch64 the `virt` board with UEFI (AAVMF)
 * and a PL011 UART; ppc64le `pseries` with SLOF and the spapr-vty console; s390x
 * `s390-ccw-virtio` with QEMU's s390-ccw IPL firmware, the SCLP console and virtio on CCW.
 * "bios" is the architecture's own firmware where it is not UEFI (SeaBIOS, SLOF, s390-ccw).
 */
export const ARCH_PROFILES: Record<Arch, ArchProfile> = {
  x86_64: {
    machines: ["q35", "pc"],
    firmwares: ["bios", "uefi", "uefi-secure"],
    emulator: "qemu-system-x86_64",
    package: "qemu-system-x86",
    tcgCpu: "maximum",
    serial: {},
    console: "serial",
    pciBus: (m) => (m.type === "q35" ? "pcie.0" : "pci.0"),
  },
  aarch64: {
    machines: ["virt"],
    firmwares: ["uefi"],
    emulator: "qemu-system-aarch64",
    package: "qemu-system-arm qemu-efi-aarch64",
    tcgCpu: "maximum",
    serial: { type: "system-serial", model: "pl011" },
    console: "serial",
    pciBus: () => "pcie.0",
  },
  ppc64le: {
    machines: ["pseries"],
    firmwares: ["bios"],
    emulator: "qemu-system-ppc64",
    package: "qemu-system-ppc",
    // libvirt offers no "maximum" for ppc64; POWER9 is what RHEL 9 and every current distro need.
    tcgCpu: "POWER9",
    serial: { type: "spapr-vio-serial", model: "spapr-vty" },
    console: "serial",
    pciBus: () => "pci.0",
  },
  s390x: {
    machines: ["s390-ccw-virtio"],
    firmwares: ["bios"],
    emulator: "qemu-system-s390x",
    package: "qemu-system-misc",
    tcgCpu: "maximum",
    serial: null,
    console: "sclp",
    pciBus: null,
  },
};

/** How much longer than the timeout setting's default an emulated guest of another architecture may take. */
export const FOREIGN_TIMEOUT_FACTOR = 3;

/** True when the guest's architecture is not the host's: QEMU emulates every instruction (TCG). */
export function foreignArch(machine: Pick<Machine, "arch">, host: Arch = hostArch()): boolean {
  return machine.arch !== host;
}

/**
 * Seconds to wait for a guest: the timeout as given, but when it is the setting's default
 * (`isDefault`) and the guest is of another architecture, FOREIGN_TIMEOUT_FACTOR times it,
 * so a first boot under emulation does not fail for being slow.
 */
export function waitTimeoutS(timeoutS: number, isDefault: boolean | undefined, machine: Pick<Machine, "arch">): number {
  return isDefault && foreignArch(machine) ? timeoutS * FOREIGN_TIMEOUT_FACTOR : timeoutS;
}
