import { ARCH_PROFILES } from "../machine/arch-profile.ts";
import type { ExtraDisk, Machine, Nic, Share } from "../machine/machine.ts";
import type { DomainFiles } from "./_types.ts";
import { el, renderXml, type XmlNode } from "./_xml.ts";
import { FORK_FW_CFG, fwcfgSysinfo, IGNITION_FW_CFG } from "./fwcfg.ts";
import { qemuArgs } from "./_qemu-args.ts";
import { domainTitle, templateTitle } from "./domain-title.ts";

/** XML namespace of testcloud's own <metadata> element; `list` finds our domains by it. */
export const METADATA_NS = "https://github.com/testcloud/testcloud/xmlns/instance/1";

/** Everything the domain XML is made from. */
export interface DomainSpec {
  name: string;
  uuid: string;
  createdAt: string;
  instanceDir: string;
  /** testcloud's data dir, recorded in the title. */
  dataDir: string;
  machine: Machine;
  files: DomainFiles;
  /** Templates and their forks: where the first NIC plugs in (see NicPort). */
  nicPort?: NicPort;
  /** A VM generation ID: a UUID, or "auto" for libvirt to make one (and a new one on every restore or revert). */
  genid?: string;
  /** What the domain is: an instance (the default) or a template being made. */
  kind?: "instance" | "template";
}

/**
 * Templates and forks put their first NIC on a PCIe root port of its own, so it can be
 * unplugged before the template is saved and a fork's plugged in after the restore. The
 * other root ports are listed too, in index order: QEMU numbers the ports' hotplug slots
 * for the guest's ACPI tables in the order it creates them, and a restored domain is made
 * from libvirt's saved XML, which lists them in index order. Ports libvirt added on its own
 * would come after ours, and hot-plugging into a fork would go to the wrong slot.
 */
export interface NicPort {
  /** The port's controller index (and bus number); 0 while counting the ports libvirt needs. */
  index: number;
  /** Whether the first NIC is in it (false: the domain is made without it). */
  plugged: boolean;
}

/** The alias libvirt knows a template's or fork's first NIC by, on a libvirt network. */
export const NIC_ALIAS = "ua-tcnic0";

/** Renders the libvirt domain XML of an instance; every value is escaped. */
export function renderDomainXml(spec: DomainSpec): string {
  const { machine: m } = spec;
  const args = qemuArgs(m, spec.files, spec.nicPort);
  const root = el(
    "domain",
    { type: m.virtType, "xmlns:qemu": args.length ? "http://libvirt.org/schemas/domain/qemu/1.0" : undefined },
    el("name", {}, spec.name),
    el("uuid", {}, spec.uuid),
    spec.genid !== undefined && (spec.genid === "auto" ? el("genid") : el("genid", {}, spec.genid)),
    el("title", {}, spec.kind === "template" ? templateTitle(spec.dataDir) : domainTitle(spec.dataDir)),
    el("metadata", {}, metadata(spec)),
    el("memory", { unit: "MiB" }, String(m.memoryMiB)),
    el("vcpu", {}, String(m.vcpus)),
    // virtiofs needs guest memory the daemon can map.
    m.shares.length > 0 && el("memoryBacking", {}, el("source", { type: "memfd" }), el("access", { mode: "shared" })),
    os(m, spec.files),
    features(m),
    cpu(m),
    el("clock", { offset: "utc" }),
    el("on_poweroff", {}, "destroy"),
    el("on_reboot", {}, "restart"),
    el("on_crash", {}, "destroy"),
    devices(m, spec.files, spec.nicPort),
    sysinfo(spec.files),
    args.length > 0 && el("qemu:commandline", {}, ...args.map((value) => el("qemu:arg", { value }))),
  );
  return renderXml(root) + "\n";
}

/** Files handed to the guest through QEMU fw_cfg: an Ignition config, a fork's identity. */
function sysinfo(files: DomainFiles): XmlNode | false {
  const entries: Record<string, string> = {};
  if (files.ignition !== undefined) entries[IGNITION_FW_CFG] = files.ignition;
  if (files.forkIdentity !== undefined) entries[FORK_FW_CFG] = files.forkIdentity;
  return Object.keys(entries).length > 0 && fwcfgSysinfo(entries);
}

function metadata(spec: DomainSpec): XmlNode {
  return el("tc:instance", { "xmlns:tc": METADATA_NS }, el("tc:dir", {}, spec.instanceDir), el("tc:created", {}, spec.createdAt));
}

function os(m: Machine, files: DomainFiles): XmlNode {
  return el(
    "os",
    {},
    el("type", { arch: m.arch, machine: m.type }, "hvm"),
    m.loader && el("loader", { readonly: "yes", secure: m.loader.secure ? "yes" : "no", type: "pflash" }, m.loader.code),
    m.loader && el("nvram", { template: m.loader.varsTemplate }, files.nvram),
    // s390x boots by per-device order (the root disk's <boot order>): libvirt refuses <boot dev> there.
    m.arch !== "s390x" && el("boot", { dev: "hd" }),
    // Without graphics, SeaBIOS messages ("No bootable device") only reach the log via serial.
    !m.loader && m.arch === "x86_64" && el("bios", { useserial: "yes" }),
  );
}

/** ACPI where the architecture has it (x86_64, and aarch64's UEFI): the power button `shutdown` presses. */
function features(m: Machine): XmlNode | false {
  if (m.arch === "x86_64") return el("features", {}, el("acpi"), el("apic"), m.loader?.secure && el("smm", { state: "on" }));
  return m.arch === "aarch64" && el("features", {}, el("acpi"));
}

function cpu(m: Machine): XmlNode {
  if (m.cpu !== "auto") return el("cpu", { mode: "custom", match: "exact", check: "none" }, el("model", { fallback: "forbid" }, m.cpu));
  // Under TCG "maximum" enables every feature QEMU can emulate, so images built
  // for x86-64-v2/v3 (RHEL 9/10) boot; qemu64 would not.
  if (m.virtType === "kvm") return el("cpu", { mode: "host-passthrough", migratable: "off" });
  const tcg = ARCH_PROFILES[m.arch].tcgCpu;
  if (tcg !== "maximum") return el("cpu", { mode: "custom", match: "exact", check: "none" }, el("model", { fallback: "forbid" }, tcg));
  return el("cpu", { mode: "maximum", check: "none" });
}

function devices(m: Machine, files: DomainFiles, port?: NicPort): XmlNode {
  const scsi = m.disks.some((d) => d.bus === "scsi");
  return el(
    "devices",
    {},
    disk(files.rootDisk, "qcow2", "vda", "virtio", { bootOrder: m.arch === "s390x" ? 1 : undefined }),
    files.seed !== undefined && disk(files.seed, "raw", "vdb", "virtio", { readonly: true }),
    ...m.disks.map((d, i) => d.bus !== "nvme" && extraDisk(d, files.disks[i]!, i, m.disks)),
    scsi && el("controller", { type: "scsi", index: "0", model: "virtio-scsi" }),
    ...(port && port.index > 0 ? rootPorts(port.index) : []),
    // The first user-mode NIC forwards ssh: it is a QEMU argument (see _qemu-args.ts).
    ...m.nics.map((nic, i) => {
      if (i > 0) return iface(nic, m);
      if (nic.network === "user" || (port && !port.plugged)) return false;
      return port ? iface(nic, m, port.index) : iface(nic, m);
    }),
    ...m.shares.map((share, i) => filesystem(share, files.shareHelpers[i])),
    ...console(m, files.consoleLog),
    el("rng", { model: "virtio" }, el("backend", { model: "random" }, "/dev/urandom")),
    m.tpm && el("tpm", { model: TPM_MODEL[m.arch] }, el("backend", { type: "emulator", version: "2.0" })),
    m.graphics === "vnc" && el("graphics", { type: "vnc", autoport: "yes", listen: "127.0.0.1" }, el("listen", { type: "address", address: "127.0.0.1" })),
    m.graphics === "vnc" && el("video", {}, el("model", { type: "virtio" })),
    el("memballoon", { model: "none" }),
  );
}

/** The TPM device each architecture's guests know (s390x has none). */
const TPM_MODEL: Partial<Record<Machine["arch"], string>> = { x86_64: "tpm-crb", aarch64: "tpm-tis", ppc64le: "tpm-spapr" };

/**
 * A pty serial port (PL011 on aarch64, spapr-vty on ppc64le) keeps `virsh console` working;
 * virtlogd copies it to the log file. s390x has no serial port: its SCLP console is logged instead.
 */
function console(m: Machine, log: string): XmlNode[] {
  const { serial, console: target } = ARCH_PROFILES[m.arch];
  const logged = el("log", { file: log, append: "off" });
  if (!serial) return [el("console", { type: "pty" }, logged, el("target", { type: target, port: 0 }))];
  return [
    el("serial", { type: "pty" }, logged, el("target", { type: serial.type, port: 0 }, serial.model !== undefined && el("model", { name: serial.model }))),
    el("console", { type: "pty" }, el("target", { type: target, port: 0 })),
  ];
}

function disk(path: string, format: string, target: string, bus: string, extra: { readonly?: boolean; serial?: string; bootOrder?: number } = {}): XmlNode {
  return el(
    "disk",
    { type: "file", device: "disk" },
    el("driver", { name: "qemu", type: format, discard: format === "qcow2" ? "unmap" : undefined }),
    el("source", { file: path }),
    el("target", { dev: target, bus }),
    extra.serial !== undefined && el("serial", {}, extra.serial),
    extra.readonly && el("readonly"),
    extra.bootOrder !== undefined && el("boot", { order: String(extra.bootOrder) }),
  );
}

/** An empty disk on virtio (vdc, vdd, …) or SCSI (sda, sdb, …), named by its serial. */
function extraDisk(d: ExtraDisk, path: string, index: number, all: ExtraDisk[]): XmlNode {
  const onBus = all.slice(0, index).filter((o) => o.bus === d.bus).length;
  const target = d.bus === "scsi" ? `sd${driveLetters(onBus)}` : `vd${driveLetters(onBus + 2)}`;
  return disk(path, "qcow2", target, d.bus, { serial: d.serial });
}

/** 0 → a, 25 → z, 26 → aa: how Linux names the 27th disk. */
function driveLetters(n: number): string {
  return (n >= 26 ? driveLetters(Math.floor(n / 26) - 1) : "") + String.fromCharCode(97 + (n % 26));
}

/** A NIC on a libvirt network (or libvirt's own user-mode network); `bus`: in that root port. */
export function iface(nic: Nic, m: Machine, bus?: number): XmlNode {
  return el(
    "interface",
    { type: nic.network === "user" ? "user" : "network" },
    nic.network !== "user" && el("source", { network: nic.network }),
    el("mac", { address: nic.mac }),
    el("model", { type: nicModel(m) }),
    // The iPXE option ROM only slows the boot of a disk image (s390x's CCW NICs have none).
    ARCH_PROFILES[m.arch].pciBus !== null && el("rom", { enabled: "no" }),
    bus !== undefined && el("alias", { name: NIC_ALIAS }),
    bus !== undefined && el("address", { type: "pci", domain: "0x0000", bus: hex(bus), slot: "0x00", function: "0x0" }),
  );
}

/** pcie-root, the root ports libvirt would add before `index`, then the first NIC's own at slot 0x10. */
function rootPorts(index: number): XmlNode[] {
  const port = (i: number, address?: XmlNode) => el("controller", { type: "pci", index: String(i), model: "pcie-root-port" }, address);
  return [
    el("controller", { type: "pci", index: "0", model: "pcie-root" }),
    ...Array.from({ length: index - 1 }, (_, i) => port(i + 1)),
    port(index, el("address", { type: "pci", domain: "0x0000", bus: "0x00", slot: "0x10", function: "0x0" })),
  ];
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, "0")}`;
}

/** virtio-net, or e1000 on the pc machine type: its guests (el6/el7 era) may lack virtio. */
export function nicModel(m: Machine): "virtio" | "e1000" {
  return m.type === "pc" ? "e1000" : "virtio";
}

function filesystem(share: Share, helper: string | undefined): XmlNode {
  return el(
    "filesystem",
    { type: "mount", accessmode: "passthrough" },
    el("driver", { type: "virtiofs", queue: "1024" }),
    // libvirt 9 has no read-only virtiofs: a wrapper serves a read-only bind mount instead.
    helper !== undefined && el("binary", { path: helper }),
    el("source", { dir: share.hostDir }),
    el("target", { dir: share.tag }),
  );
}
