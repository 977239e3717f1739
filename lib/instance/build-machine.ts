import { statSync } from "node:fs";
import { cpus, networkInterfaces, totalmem } from "node:os";
import { AlreadyExistsError, DependencyError, NotFoundError, StateError, UsageError } from "../errors.ts";
import { detectVirtType } from "../host/detect-virt.ts";
import { ARCH_PROFILES } from "../machine/arch-profile.ts";
import { hostArch, type Arch } from "../machine/arch.ts";
import { findLoader } from "../host/firmware.ts";
import { which } from "../host/run.ts";
import { MACHINE_ROWS, type MachineSettings } from "../host/_machine-settings.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { networkActive } from "../libvirt/virsh-network.ts";
import type { Forward, Machine } from "../machine/machine.ts";
import { portFree } from "./allocate-port.ts";

/**
 * The machine the settings describe: defaults, then each setting's row puts its value in
 * (lib/host/_machine-settings.ts). What create adds later: MACs and the ssh port.
 */
export function draftMachine(settings: MachineSettings, network: string, virt = () => detectVirtType().type, host: Arch = hostArch()): Machine {
  const machine: Machine = {
    arch: host,
    type: ARCH_PROFILES[host].machines[0]!,
    firmware: ARCH_PROFILES[host].firmwares[0]!,
    virtType: "qemu",
    cpu: "auto",
    memoryMiB: 1024,
    vcpus: 2,
    rootDiskSize: 0,
    disks: [],
    nics: [{ network, mac: "" }],
    isolated: false,
    forwards: [],
    shares: [],
    tpm: false,
    graphics: "none",
  };
  for (const [key, row] of Object.entries(MACHINE_ROWS)) {
    (row.apply as (m: Machine, v: unknown) => void)(machine, settings[key as keyof MachineSettings]);
  }
  // KVM runs only the host's own architecture; another is emulated whatever the host has.
  if (settings.virtType === "auto") machine.virtType = machine.arch === host ? virt() : "qemu";
  machine.disks.forEach((disk, i) => (disk.serial ||= `disk${i + 1}`));
  checkArchFit(machine, host);
  if (machine.firmware === "uefi-secure" && machine.type !== "q35") {
    throw new UsageError("Invalid --firmware uefi-secure with --machine pc: Secure Boot needs SMM, which only q35 has");
  }
  if (machine.firmware !== "bios") machine.loader = findLoader(machine.firmware, machine);
  return machine;
}

/** What a machine of this architecture cannot have: another's machine type or firmware, KVM across architectures, devices it has no bus for. */
function checkArchFit(m: Machine, host: Arch): void {
  const profile = ARCH_PROFILES[m.arch];
  const refuse = (what: string) => {
    throw new UsageError(`Unsupported for --arch ${m.arch}: ${what}`, { code: "E_UNSUPPORTED_ARCH", hint: `testcloud create --help lists the machine settings; drop the one named` });
  };
  if (!profile.machines.includes(m.type)) refuse(`--machine ${m.type} (expected ${profile.machines.join(" or ")})`);
  if (!profile.firmwares.includes(m.firmware)) refuse(`--firmware ${m.firmware} (its firmware is ${profile.firmwares.join(" or ")})`);
  if (m.virtType === "kvm" && m.arch !== host) refuse(`--virt-type kvm on a ${host} host: KVM runs only the host's architecture`);
  if (m.tpm && m.arch === "s390x") refuse("--tpm (s390x has no TPM device)");
  if (!profile.pciBus && m.disks.some((d) => d.bus === "nvme")) refuse("--disk …,bus=nvme (no PCI bus on s390-ccw-virtio)");
}

/** Every check of the machine before anything is made: sizes, names, host directories, networks, host tools. */
export async function checkMachine(machine: Machine, conn: Virsh): Promise<void> {
  checkResources(machine);
  checkDevices(machine);
  if (machine.shares.length > 0 && conn.uri.endsWith("/session")) {
    throw new UsageError("Shared folders need qemu:///system: libvirt 9 cannot run virtiofsd for a session daemon", { hint: "run as root, or drop --share" });
  }
  for (const share of machine.shares) checkHostDir(share.hostDir);
  await checkForwards(machine);
  // libvirt picks the emulator from its host's binaries: only a local daemon's are ours to check.
  if (localUri(conn.uri)) {
    const { emulator, package: pkg } = ARCH_PROFILES[machine.arch];
    requireTools([emulator], pkg, `--arch ${machine.arch}`);
  }
  if (machine.tpm) requireTools(["swtpm", "swtpm_setup"], "swtpm swtpm-tools", "--tpm");
  if (machine.shares.some((s) => s.readonly)) requireTools(["unshare", "mount"], "util-linux mount", "--share …:ro");
  const networks = [...new Set(machine.nics.map((n) => n.network).filter((n) => n !== "user"))];
  const active = await Promise.all(networks.map((n) => networkActive(conn, n)));
  networks.forEach((network, i) => {
    if (!active[i]) throw new StateError(`libvirt network is not active: "${network}"`, { hint: `virsh net-start ${network}` });
  });
}

function checkResources(m: Machine): void {
  const hostMiB = Math.floor(totalmem() / 2 ** 20);
  if (!Number.isInteger(m.memoryMiB) || m.memoryMiB < 64 || m.memoryMiB > hostMiB) {
    throw new UsageError(`Invalid --ram: ${m.memoryMiB}: expected MiB from 64 to the host's ${hostMiB}`);
  }
  const hostCpus = cpus().length;
  if (!Number.isInteger(m.vcpus) || m.vcpus < 1 || m.vcpus > hostCpus) {
    throw new UsageError(`Invalid --vcpus: ${m.vcpus}: expected 1 to the host's ${hostCpus}`);
  }
  for (const [what, size] of [["--disk-size", m.rootDiskSize], ...m.disks.map((d) => ["--disk", d.sizeBytes] as const)] as const) {
    if (size > 2 ** 50) throw new UsageError(`Invalid ${what}: ${size} bytes: at most 1 PiB`);
  }
}

function checkDevices(m: Machine): void {
  const serials = m.disks.map((d) => d.serial);
  const twice = serials.find((s, i) => serials.indexOf(s) !== i);
  if (twice) throw new UsageError(`Invalid --disk: serial "${twice}" is given twice: the guest tells disks apart by serial`);
  const tags = m.shares.map((s) => s.tag);
  const tagTwice = tags.find((t, i) => tags.indexOf(t) !== i);
  if (tagTwice) throw new UsageError(`Invalid --share: tag "${tagTwice}" is given twice`);
}

/** A shared host directory: absolute, existing, and free of what virtiofsd's option parser would split on. */
function checkHostDir(dir: string): void {
  // libvirt 9 hands it to virtiofsd inside "-o source=…": a comma would start another option.
  if (/[,\\\x00-\x1f\x7f]/.test(dir)) {
    throw new UsageError(`Invalid --share: "${dir}": the directory must not contain commas, backslashes or control characters`);
  }
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new NotFoundError(`Shared directory not found: "${dir}"`, { code: "E_SHARE_NOT_FOUND" });
  }
}

/**
 * Forwards need user mode, a local host address, distinct host ports, and ports nobody
 * holds (but the instance's own, which `skipPortCheck` names when it already runs).
 */
export async function checkForwards(m: Machine, options: { skipPortCheck?: Set<Forward> } = {}): Promise<void> {
  if (m.forwards.length === 0) return;
  if (m.nics[0]!.network !== "user") {
    throw new UsageError("--forward needs user-mode networking (--network user): on a libvirt network the guest's own address is reachable", {
      hint: "testcloud info NAME shows the guest's address",
    });
  }
  const local = localAddresses();
  const seen = new Set<string>();
  for (const f of m.forwards) {
    if (!local.has(f.hostAddr)) throw new UsageError(`Invalid --forward: host address ${f.hostAddr} is not an address of this host`);
    const key = `${f.proto}:${f.hostAddr}:${f.hostPort}`;
    if (f.hostPort !== 0 && seen.has(key)) throw new UsageError(`Invalid --forward: ${f.hostAddr}:${f.hostPort}/${f.proto} is given twice`);
    seen.add(key);
    if (f.hostPort !== 0 && !options.skipPortCheck?.has(f) && !(await portFree(f.proto, f.hostAddr, f.hostPort))) throw portInUse(f);
  }
}

/** A host port someone already listens on. */
export function portInUse(f: Forward): AlreadyExistsError {
  return new AlreadyExistsError(`Host port ${f.hostAddr}:${f.hostPort}/${f.proto} is in use`, {
    code: "E_PORT_IN_USE",
    hint: `pick another port, or 0 to let testcloud pick one (--forward ${f.hostAddr}:0:${f.guestPort}${f.proto === "udp" ? "/udp" : ""})`,
  });
}

/** The host's IPv4 addresses (loopback's whole 127/8 counts). */
function localAddresses(): { has(address: string): boolean } {
  const mine = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === "IPv4").map((a) => a.address)));
  return { has: (address) => address.startsWith("127.") || mine.has(address) };
}

/** A URI of this host's libvirt daemon (no host name), e.g. qemu:///system. */
function localUri(uri: string): boolean {
  return /^[a-z0-9+]+:\/\/\//i.test(uri);
}

function requireTools(tools: string[], packages: string, flag: string): void {
  for (const tool of tools) {
    try {
      which(tool);
    } catch {
      throw new DependencyError(`${flag} needs "${tool}", which is not installed`, { code: "E_MISSING_TOOL", hint: `apt-get install ${packages}` });
    }
  }
}
