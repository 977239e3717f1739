import type { VirtType } from "../host/detect-virt.ts";
import { el, renderXml, type XmlNode } from "./_xml.ts";
import { fwcfgSysinfo, IGNITION_FW_CFG } from "./fwcfg.ts";

/** XML namespace of testcloud's own <metadata> element; `list` finds our domains by it. */
export const METADATA_NS = "https://github.com/testcloud/testcloud/xmlns/instance/1";

/** How the guest's NIC reaches the host. */
export type NetworkSpec =
  | { mode: "network"; name: string }
  | { mode: "user"; sshPort: number };

/** Everything the domain XML is made from. */
export interface DomainSpec {
  name: string;
  uuid: string;
  virtType: VirtType;
  ramMiB: number;
  vcpus: number;
  overlay: string;
  /** The NoCloud seed disk; absent for Ignition guests. */
  seed?: string;
  /** An Ignition config handed to the guest through QEMU fw_cfg (CoreOS). */
  ignition?: string;
  consoleLog: string;
  mac: string;
  network: NetworkSpec;
  instanceDir: string;
  createdAt: string;
  /** Adds a VNC display on 127.0.0.1; headless (serial only) otherwise. */
  vnc?: boolean;
  /** testcloud's data dir, recorded in the title. */
  dataDir: string;
}

/**
 * Title of every testcloud domain: `list` and `clean` find a data dir's domains
 * with one `virsh list --title`, and leave other data dirs' domains alone.
 */
export function domainTitle(dataDir: string): string {
  return `testcloud instance in ${dataDir}`;
}

/** Renders the libvirt domain XML of an instance; every value is escaped. */
export function renderDomainXml(spec: DomainSpec): string {
  const root = el(
    "domain",
    {
      type: spec.virtType,
      "xmlns:qemu": spec.network.mode === "user" ? "http://libvirt.org/schemas/domain/qemu/1.0" : undefined,
    },
    el("name", {}, spec.name),
    el("uuid", {}, spec.uuid),
    el("title", {}, domainTitle(spec.dataDir)),
    el("metadata", {}, metadata(spec)),
    el("memory", { unit: "MiB" }, String(spec.ramMiB)),
    el("vcpu", {}, String(spec.vcpus)),
    el(
      "os",
      {},
      el("type", { arch: "x86_64", machine: "q35" }, "hvm"),
      el("boot", { dev: "hd" }),
      // Without graphics, SeaBIOS messages ("No bootable device") only reach the log via serial.
      el("bios", { useserial: "yes" }),
    ),
    el("features", {}, el("acpi"), el("apic")),
    cpu(spec.virtType),
    el("clock", { offset: "utc" }),
    el("on_poweroff", {}, "destroy"),
    el("on_reboot", {}, "restart"),
    el("on_crash", {}, "destroy"),
    devices(spec),
    spec.ignition !== undefined && fwcfgSysinfo({ [IGNITION_FW_CFG]: spec.ignition }),
    spec.network.mode === "user" && userNetArgs(spec.mac, spec.network.sshPort),
  );
  return renderXml(root) + "\n";
}

function metadata(spec: DomainSpec): XmlNode {
  return el(
    "tc:instance",
    { "xmlns:tc": METADATA_NS },
    el("tc:dir", {}, spec.instanceDir),
    el("tc:created", {}, spec.createdAt),
  );
}

function cpu(virtType: VirtType): XmlNode {
  // Under TCG "maximum" enables every feature QEMU can emulate, so images built
  // for x86-64-v2/v3 (RHEL 9/10) boot; qemu64 would not.
  if (virtType === "kvm") return el("cpu", { mode: "host-passthrough", migratable: "off" });
  return el("cpu", { mode: "maximum", check: "none" });
}

function devices(spec: DomainSpec): XmlNode {
  return el(
    "devices",
    {},
    disk(spec.overlay, "qcow2", "vda"),
    spec.seed !== undefined && disk(spec.seed, "raw", "vdb", true),
    spec.network.mode === "network" &&
      el(
        "interface",
        { type: "network" },
        el("source", { network: spec.network.name }),
        el("mac", { address: spec.mac }),
        el("model", { type: "virtio" }),
        // The iPXE option ROM only slows the boot of a disk image.
        el("rom", { enabled: "no" }),
      ),
    // A pty serial keeps `virsh console` working; virtlogd copies it to the log file.
    el("serial", { type: "pty" }, el("log", { file: spec.consoleLog, append: "off" }), el("target", { port: 0 })),
    el("console", { type: "pty" }, el("target", { type: "serial", port: 0 })),
    el("rng", { model: "virtio" }, el("backend", { model: "random" }, "/dev/urandom")),
    spec.vnc && el("graphics", { type: "vnc", autoport: "yes", listen: "127.0.0.1" }, el("listen", { type: "address", address: "127.0.0.1" })),
    spec.vnc && el("video", {}, el("model", { type: "virtio" })),
    el("memballoon", { model: "none" }),
  );
}

function disk(path: string, format: string, target: string, readonly = false): XmlNode {
  return el(
    "disk",
    { type: "file", device: "disk" },
    el("driver", { name: "qemu", type: format, discard: format === "qcow2" ? "unmap" : undefined }),
    el("source", { file: path }),
    el("target", { dev: target, bus: "virtio" }),
    readonly && el("readonly"),
  );
}

/** User-mode networking through qemu args: libvirt 9 has no passt backend here. */
function userNetArgs(mac: string, sshPort: number): XmlNode {
  // restrict=on: the guest reaches nothing but the forwarded port; 127.0.0.1 keeps ssh off the LAN.
  const netdev = `user,id=tcnet0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22`;
  // QEMU sees these args before libvirt's devices; a fixed slot far above the
  // root ports libvirt assigns from 0x1 up keeps the two from colliding.
  const device = `virtio-net-pci,netdev=tcnet0,mac=${mac},romfile=,bus=pcie.0,addr=0x10`;
  return el(
    "qemu:commandline",
    {},
    ...["-netdev", netdev, "-device", device].map((value) => el("qemu:arg", { value })),
  );
}
