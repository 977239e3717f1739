/**
 * The settings that describe the machine (lib/machine/machine.ts): one row each, with its
 * check, its `create` flag and how it sets the machine. lib/host/_config-schema.ts takes
 * them into the schema (so config files and TESTCLOUD_* read them), commands/create.ts
 * makes its flags from them, and `apply` puts the value into the Machine.
 */
import { isAbsolute } from "./posix-path.ts";
import { ARCH_PROFILES, FOREIGN_TIMEOUT_FACTOR } from "../machine/arch-profile.ts";
import { ARCHES, parseArch, type Arch } from "../machine/arch.ts";
import type { DiskBus, ExtraDisk, Forward, Machine, Share } from "../machine/machine.ts";
import { parseSize } from "./parse-size.ts";
import { bool, list, oneOf, size, text, wholeNumber } from "./_setting-kinds.ts";

/** The machine settings' values, after layering. */
export interface MachineSettings {
  /** "auto": the host's. */
  arch: "auto" | Arch;
  ram: number;
  vcpus: number;
  /** Bytes; 0 keeps the image's own virtual size. */
  diskSize: number;
  virtType: "auto" | "kvm" | "qemu";
  vnc: boolean;
  /** "auto": the architecture's default (lib/machine/arch-profile.ts). */
  machine: "auto" | Machine["type"];
  firmware: "auto" | Machine["firmware"];
  cpu: string;
  tpm: boolean;
  disk: ExtraDisk[];
  /** More NICs: a libvirt network name or "user" each. */
  nic: string[];
  isolated: boolean;
  forward: Forward[];
  share: Share[];
}

/** One machine setting: its kind, its create flag's help, and where its value goes. */
export interface MachineRow<K extends keyof MachineSettings> {
  expected: string;
  check: (value: unknown) => unknown;
  fromText: (text: string) => unknown;
  description: string;
  valueHint?: string;
  /** A flag given once per item (--disk A --disk B). */
  repeatable?: true;
  /** A switch (--tpm, --no-tpm) rather than a flag with a value. */
  boolean?: true;
  apply: (machine: Machine, value: MachineSettings[K]) => void;
}

const BUSES: DiskBus[] = ["virtio", "scsi", "nvme"];
const SERIAL = /^[A-Za-z0-9_.-]{1,20}$/;
const TAG = /^[A-Za-z0-9_-]{1,36}$/;

/** `SIZE[,serial=S][,bus=virtio|scsi|nvme]`; an empty serial is filled in at create. */
export function parseDiskSpec(spec: string): ExtraDisk | undefined {
  const [sizeText, ...options] = spec.split(",");
  let sizeBytes: number;
  try {
    sizeBytes = parseSize(sizeText ?? "", "--disk");
  } catch {
    return undefined;
  }
  const disk: ExtraDisk = { sizeBytes, serial: "", bus: "virtio" };
  for (const option of options) {
    const [key, value = ""] = option.split("=", 2) as [string, string?];
    if (key === "serial" && SERIAL.test(value)) disk.serial = value;
    else if (key === "bus" && (BUSES as string[]).includes(value)) disk.bus = value as DiskBus;
    else return undefined;
  }
  return disk;
}

/** `[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]`: host port 0 is picked at create; the address defaults to 127.0.0.1. */
export function parseForwardSpec(spec: string): Forward | undefined {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|localhost):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(spec);
  if (!m) return undefined;
  const [hostPort, guestPort] = [Number(m[2]), Number(m[3])];
  if (hostPort > 65535 || guestPort < 1 || guestPort > 65535) return undefined;
  const hostAddr = m[1] === undefined || m[1] === "localhost" ? "127.0.0.1" : m[1];
  if (hostAddr.split(".").some((octet) => Number(octet) > 255)) return undefined;
  return { proto: (m[4] ?? "tcp") as Forward["proto"], hostAddr, hostPort, guestPort };
}

/** `HOSTDIR[:TAG][:ro]`: an absolute directory; the tag defaults to its last name. */
export function parseShareSpec(spec: string): Share | undefined {
  const parts = spec.split(":");
  const readonly = parts.length > 1 && parts.at(-1) === "ro";
  if (readonly) parts.pop();
  if (parts.length > 2) return undefined;
  const [hostDir = "", given] = parts;
  const tag = given ?? hostDir.replace(/\/+$/, "").split("/").at(-1) ?? "";
  if (!isAbsolute(hostDir) || !TAG.test(tag)) return undefined;
  return { hostDir, tag, readonly };
}

const spec = <T>(parse: (text: string) => T | undefined, expected: string) => ({
  expected,
  check: (v: unknown) => (typeof v === "string" ? parse(v) : undefined),
  fromText: text,
});

/** "auto", or an architecture by its name or Debian's (amd64, arm64, ppc64el). */
function readArch(text: string): "auto" | Arch | undefined {
  if (text === "auto") return "auto";
  try {
    return parseArch(text);
  } catch {
    return undefined;
  }
}

/** Puts an architecture's machine type and firmware in, as its defaults (the machine and firmware rows come after). */
function applyArch(m: Machine, arch: Arch): void {
  m.arch = arch;
  m.type = ARCH_PROFILES[arch].machines[0]!;
  m.firmware = ARCH_PROFILES[arch].firmwares[0]!;
}

/** The rows: insertion order is the order `testcloud config` and `create --help` list them (and `apply` runs). */
export const MACHINE_ROWS: { [K in keyof MachineSettings]: MachineRow<K> } = {
  arch: {
    ...spec(readArch, `"auto" or one of ${ARCHES.join(", ")} (or amd64, arm64, ppc64el)`),
    description: `Guest architecture (default: the host's); another is emulated (TCG) and waits ${FOREIGN_TIMEOUT_FACTOR}x the default --timeout. Shortcuts resolve its image`,
    valueHint: ARCHES.join("|"),
    apply: (m, v) => v !== "auto" && applyArch(m, v),
  },
  ram: {
    ...wholeNumber(64, "a whole number of MiB, at least 64"),
    description: "Memory in MiB (default 1024)",
    apply: (m, v) => (m.memoryMiB = v),
  },
  vcpus: {
    ...wholeNumber(1, "a whole number, at least 1"),
    description: "Number of virtual CPUs (default 2)",
    apply: (m, v) => (m.vcpus = v),
  },
  diskSize: {
    ...size,
    description: "Grow the root disk to this size, e.g. 20G (the guest grows its root fs at boot)",
    apply: (m, v) => (m.rootDiskSize = v),
  },
  virtType: {
    ...oneOf(["auto", "kvm", "qemu"]),
    description: "Force kvm or qemu (TCG) (default: KVM only where it really works)",
    valueHint: "kvm|qemu",
    apply: (m, v) => v !== "auto" && (m.virtType = v),
  },
  vnc: { ...bool, boolean: true, description: "Add a VNC display on 127.0.0.1 (default: serial console only)", apply: (m, v) => (m.graphics = v ? "vnc" : "none") },
  machine: {
    ...oneOf(["auto", "q35", "pc", "virt", "pseries", "s390-ccw-virtio"]),
    description: "Machine type (default: q35 on x86_64, virt on aarch64, pseries on ppc64le, s390-ccw-virtio on s390x); x86_64 also pc (i440fx, e1000 NICs: for guests without virtio-net)",
    valueHint: "q35|pc|virt|pseries|s390-ccw-virtio",
    apply: (m, v) => v !== "auto" && (m.type = v),
  },
  firmware: {
    ...oneOf(["auto", "bios", "uefi", "uefi-secure"]),
    description: "Boot firmware: bios (the default; SLOF on ppc64le, s390-ccw on s390x), uefi (the default on aarch64), or uefi-secure (x86_64: Secure Boot with the host's enrolled keys)",
    valueHint: "bios|uefi|uefi-secure",
    apply: (m, v) => v !== "auto" && (m.firmware = v),
  },
  cpu: {
    ...spec((t) => (/^(auto|[A-Za-z0-9][A-Za-z0-9_.+-]{0,63})$/.test(t) ? t : undefined), 'a QEMU CPU model such as "Skylake-Client", or "auto"'),
    description: "CPU model (default auto: host-passthrough under KVM, maximum under TCG)",
    valueHint: "MODEL",
    apply: (m, v) => (m.cpu = v),
  },
  tpm: { ...bool, boolean: true, description: "Add a TPM 2.0 (swtpm, tpm-crb)", apply: (m, v) => (m.tpm = v) },
  disk: {
    ...list(spec(parseDiskSpec, 'SIZE[,serial=S][,bus=virtio|scsi|nvme] (serial: up to 20 letters, digits, "_", "." or "-")')),
    description: "Add an empty disk (repeatable); the guest finds it by serial",
    valueHint: "SIZE[,serial=S][,bus=virtio|scsi|nvme]",
    repeatable: true,
    apply: (m, v) => (m.disks = v.map((d) => ({ ...d }))),
  },
  nic: {
    ...list(spec((t) => (/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/.test(t) ? t : undefined), '"user" or a libvirt network name')),
    description: "Add a NIC on a libvirt network or 'user' (repeatable); the first NIC (--network) stays the ssh path",
    valueHint: "NETWORK|user",
    repeatable: true,
    apply: (m, v) => m.nics.push(...v.map((network) => ({ network, mac: "" }))),
  },
  isolated: {
    ...bool,
    boolean: true,
    description: "User mode: the guest reaches nothing but its forwards (default: outbound access, the host is 10.0.2.2)",
    apply: (m, v) => (m.isolated = v),
  },
  forward: {
    ...list(spec(parseForwardSpec, "[HOSTADDR:]HOSTPORT:GUESTPORT[/udp] with ports 1-65535 (host port 0: pick a free one)")),
    description: "User mode: forward a host port to a guest port (repeatable); HOSTADDR defaults to 127.0.0.1",
    valueHint: "[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]",
    repeatable: true,
    apply: (m, v) => (m.forwards = v.map((f) => ({ ...f }))),
  },
  share: {
    ...list(spec(parseShareSpec, 'HOSTDIR[:TAG][:ro] with an absolute HOSTDIR and a TAG of letters, digits, "-" and "_"')),
    description: "Share a host directory over virtiofs, mounted at /mnt/TAG in the guest (repeatable)",
    valueHint: "HOSTDIR[:TAG][:ro]",
    repeatable: true,
    apply: (m, v) => (m.shares = v.map((s) => ({ ...s }))),
  },
};
