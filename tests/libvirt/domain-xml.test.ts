import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultUri } from "../../lib/host/paths.ts";
import { run } from "../../lib/host/run.ts";
import { METADATA_NS, renderDomainXml, type DomainSpec } from "../../lib/libvirt/domain-xml.ts";
import { connect, domainStateByUuid, startDomain } from "../../lib/libvirt/virsh.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";
import type { Machine } from "../../lib/machine/machine.ts";
import { testDomain } from "../_machine.ts";
import { useScratchDomains } from "./_scratch-domain.ts";

const spec = testDomain();
const userMode = testDomain({ machine: { virtType: "qemu", nics: [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40022 }] } });
const NASTY = `a<b>&'"c`;
const nasty = testDomain({
  name: NASTY,
  instanceDir: `/data/${NASTY}`,
  machine: { nics: [{ network: NASTY, mac: "52:54:00:12:34:56" }], shares: [{ hostDir: `/srv/${NASTY}`, tag: "t", readonly: false }] },
});
/** Every device option at once. */
const full = testDomain({
  machine: {
    firmware: "uefi-secure",
    loader: { code: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", secure: true },
    tpm: true,
    disks: [
      { sizeBytes: 2 ** 30, serial: "data1", bus: "virtio" },
      { sizeBytes: 2 ** 29, serial: "fast1", bus: "nvme" },
      { sizeBytes: 2 ** 29, serial: "scsi1", bus: "scsi" },
    ],
    nics: [
      { network: "user", mac: "52:54:00:00:00:01", sshPort: 40022 },
      { network: "testcloud-test", mac: "52:54:00:00:00:02" },
      { network: "user", mac: "52:54:00:00:00:03" },
    ],
    shares: [
      { hostDir: "/srv/share", tag: "hostshare", readonly: false },
      { hostDir: "/srv/docs", tag: "docs", readonly: true },
    ],
    graphics: "vnc",
  },
  files: {
    disks: ["/data/instances/tiny/disk1.qcow2", "/data/instances/tiny/disk2.qcow2", "/data/instances/tiny/disk3.qcow2"],
    shareHelpers: [undefined, "/data/instances/tiny/virtiofsd-docs"],
  },
});
const qemuArgs = (xml: string) => [...xml.matchAll(/<qemu:arg value="([^"]*)"\/>/g)].map((m) => m[1]!);
const argAfter = (args: string[], flag: string, nth = 0) => args.filter((_, i) => args[i - 1] === flag)[nth]!.split(",");

describe("renderDomainXml escaping", () => {
  const xml = renderDomainXml(nasty);
  const escaped = "a&lt;b&gt;&amp;&apos;&quot;c";

  test("escapes the name, the paths, the network and a shared directory", () => {
    expect(xml).toContain(`<name>${escaped}</name>`);
    expect(xml).toContain(`<source file="/data/${escaped}/disk.qcow2"/>`);
    expect(xml).toContain(`<log file="/data/${escaped}/console.log" append="off"/>`);
    expect(xml).toContain(`<tc:dir>/data/${escaped}</tc:dir>`);
    expect(xml).toContain(`<source network="${escaped}"/>`);
    expect(xml).toContain(`<source dir="/srv/${escaped}"/>`);
  });

  test("never contains the raw value, and an injected closing tag stays text", () => {
    expect(xml).not.toContain(NASTY);
    const injected = renderDomainXml(testDomain({ name: "x</name><devices><disk/></devices><name>y" }));
    expect(injected.match(/<name>/g)).toHaveLength(1);
    expect(injected.match(/<devices>/g)).toHaveLength(1);
  });

  test("a comma in a path given to QEMU is doubled, so it cannot start another option", () => {
    const xml = renderDomainXml(testDomain({ machine: { disks: [{ sizeBytes: 1, serial: "n", bus: "nvme" }] }, files: { disks: ["/data/a,format=raw/disk1.qcow2"] } }));
    const args = qemuArgs(xml);
    expect(args[args.indexOf("-drive") + 1]).toStartWith("file=/data/a,,format=raw/disk1.qcow2,format=qcow2,");
  });
});

describe("renderDomainXml networking", () => {
  test("network mode attaches a virtio NIC to the libvirt network with the MAC", () => {
    const xml = renderDomainXml(spec);
    const nic = /<interface type="network">\n([\s\S]*?)\n\s*<\/interface>/.exec(xml)?.[1] ?? "";
    expect(nic).toContain('<source network="default"/>');
    expect(nic).toContain('<mac address="52:54:00:12:34:56"/>');
    expect(nic).toContain('<model type="virtio"/>');
    expect(xml.match(/<interface /g)).toHaveLength(1);
    expect(xml).not.toContain("qemu:commandline");
  });

  test("user mode forwards ssh on 127.0.0.1 only", () => {
    const xml = renderDomainXml(userMode);
    expect(xml).toStartWith('<domain type="qemu" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">');
    expect(xml).not.toContain("<interface");
    const args = qemuArgs(xml);
    const netdev = argAfter(args, "-netdev");
    expect(netdev).toEqual(expect.arrayContaining(["user", "hostfwd=tcp:127.0.0.1:40022-:22"]));
    const device = argAfter(args, "-device");
    expect(device[0]).toBe("virtio-net-pci");
    expect(device).toEqual(expect.arrayContaining(["mac=52:54:00:12:34:56", "bus=pcie.0", `netdev=${netdev.find((p) => p.startsWith("id="))!.slice(3)}`]));
  });

  test("--isolated restricts the guest; forwards join ssh's on the same user-mode NIC", () => {
    const forwards = [
      { proto: "tcp" as const, hostAddr: "127.0.0.1", hostPort: 8080, guestPort: 80 },
      { proto: "udp" as const, hostAddr: "192.168.1.5", hostPort: 5353, guestPort: 53 },
    ];
    const open = argAfter(qemuArgs(renderDomainXml(testDomain({ machine: { ...userMode.machine, forwards } }))), "-netdev");
    expect(open).not.toContain("restrict=on");
    expect(open).toEqual(["user", "id=tcnet0", "hostfwd=tcp:127.0.0.1:40022-:22", "hostfwd=tcp:127.0.0.1:8080-:80", "hostfwd=udp:192.168.1.5:5353-:53"]);
    const isolated = argAfter(qemuArgs(renderDomainXml(testDomain({ machine: { ...userMode.machine, isolated: true } }))), "-netdev");
    expect(isolated).toContain("restrict=on");
  });

  test("more NICs follow the first: on a libvirt network, or libvirt's own user-mode NIC", () => {
    const xml = renderDomainXml(full);
    const ifaces = [...xml.matchAll(/<interface type="(\w+)">[\s\S]*?<mac address="([^"]+)"\/>/g)].map((m) => [m[1], m[2]]);
    expect(ifaces).toEqual([["network", "52:54:00:00:00:02"], ["user", "52:54:00:00:00:03"]]);
  });

  test("the pc machine type gets e1000 NICs on pci.0, for guests without virtio-net", () => {
    const pc = testDomain({ machine: { type: "pc", nics: [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 1 }, { network: "default", mac: "52:54:00:12:34:57" }] } });
    const xml = renderDomainXml(pc);
    expect(xml).toContain('<type arch="x86_64" machine="pc">hvm</type>');
    expect(argAfter(qemuArgs(xml), "-device")).toEqual(expect.arrayContaining(["e1000", "bus=pci.0"]));
    expect(xml).toContain('<model type="e1000"/>');
  });
});

describe("renderDomainXml machine", () => {
  test("kvm passes the host CPU through; TCG uses the maximum model; a named model is exact", () => {
    expect(renderDomainXml(spec)).toContain('<cpu mode="host-passthrough" migratable="off"/>');
    expect(renderDomainXml(userMode)).toContain('<cpu mode="maximum" check="none"/>');
    const named = renderDomainXml(testDomain({ machine: { cpu: "Skylake-Client" } }));
    expect(named).toContain('<cpu mode="custom" match="exact" check="none">\n    <model fallback="forbid">Skylake-Client</model>\n  </cpu>');
  });

  test("carries testcloud's metadata element in its namespace", () => {
    expect(renderDomainXml(spec)).toContain(
      `<metadata>\n    <tc:instance xmlns:tc="${METADATA_NS}">\n      <tc:dir>/data/instances/tiny</tc:dir>\n      <tc:created>2026-11-25T22:10:33.000Z</tc:created>\n    </tc:instance>\n  </metadata>`,
    );
  });

  test("sets memory, vcpus and uuid", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain('<memory unit="MiB">512</memory>');
    expect(xml).toContain("<vcpu>2</vcpu>");
    expect(xml).toContain(`<uuid>${spec.uuid}</uuid>`);
  });

  test("attaches the overlay as qcow2 and the seed as a read-only raw disk", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain(
      '<disk type="file" device="disk">\n      <driver name="qemu" type="qcow2" discard="unmap"/>\n      <source file="/data/instances/tiny/disk.qcow2"/>\n      <target dev="vda" bus="virtio"/>\n    </disk>',
    );
    expect(xml).toContain(
      '<disk type="file" device="disk">\n      <driver name="qemu" type="raw"/>\n      <source file="/data/instances/tiny/seed.iso"/>\n      <target dev="vdb" bus="virtio"/>\n      <readonly/>\n    </disk>',
    );
  });

  test("an Ignition guest gets the config through fw_cfg and no seed disk", () => {
    const xml = renderDomainXml(testDomain({ files: { seed: undefined, ignition: "/data/instances/tiny/config.ign" } }));
    expect(xml).toContain('<entry name="opt/com.coreos/config" file="/data/instances/tiny/config.ign"/>');
    expect(xml).not.toContain('dev="vdb"');
    expect(renderDomainXml(spec)).not.toContain("<sysinfo");
  });

  test("headless by default; graphics vnc adds a display bound to 127.0.0.1", () => {
    expect(renderDomainXml(spec)).not.toContain("<graphics");
    expect(renderDomainXml(full)).toContain('<graphics type="vnc" autoport="yes" listen="127.0.0.1">');
  });

  test("the title names the data dir, so list and clean only see their own domains", () => {
    expect(renderDomainXml(spec)).toContain("<title>testcloud instance in /data</title>");
  });
});

describe("renderDomainXml firmware and TPM", () => {
  test("bios: SeaBIOS speaks on the serial console, no loader", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain('<bios useserial="yes"/>');
    expect(xml).not.toContain("<loader");
  });

  test("uefi: the chosen code read-only, and the instance's own NVRAM made from the template", () => {
    const uefi = testDomain({ machine: { firmware: "uefi", loader: { code: "/fw/CODE.fd", varsTemplate: "/fw/VARS.fd", secure: false } } });
    const xml = renderDomainXml(uefi);
    expect(xml).toContain('<loader readonly="yes" secure="no" type="pflash">/fw/CODE.fd</loader>');
    expect(xml).toContain('<nvram template="/fw/VARS.fd">/data/instances/tiny/nvram.fd</nvram>');
    expect(xml).not.toContain("<bios");
    expect(xml).not.toContain("<smm");
  });

  test("uefi-secure: secure loader and SMM", () => {
    const xml = renderDomainXml(full);
    expect(xml).toContain('<loader readonly="yes" secure="yes" type="pflash">/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>');
    expect(xml).toContain('<smm state="on"/>');
  });

  test("--tpm: a TPM 2.0 CRB device backed by libvirt's swtpm", () => {
    expect(renderDomainXml(full)).toContain('<tpm model="tpm-crb">\n      <backend type="emulator" version="2.0"/>\n    </tpm>');
    expect(renderDomainXml(spec)).not.toContain("<tpm");
  });
});

describe("renderDomainXml disks and shares", () => {
  const xml = renderDomainXml(full);

  test("a virtio disk is vdc with its serial", () => {
    expect(xml).toContain('<source file="/data/instances/tiny/disk1.qcow2"/>\n      <target dev="vdc" bus="virtio"/>\n      <serial>data1</serial>');
  });

  test("a SCSI disk is sda on a virtio-scsi controller, with its serial", () => {
    expect(xml).toContain('<source file="/data/instances/tiny/disk3.qcow2"/>\n      <target dev="sda" bus="scsi"/>\n      <serial>scsi1</serial>');
    expect(xml).toContain('<controller type="scsi" index="0" model="virtio-scsi"/>');
  });

  test("an NVMe disk is a QEMU nvme device with its serial (libvirt 9 has no nvme bus)", () => {
    const args = qemuArgs(xml);
    expect(argAfter(args, "-drive")).toEqual(["file=/data/instances/tiny/disk2.qcow2", "format=qcow2", "if=none", "id=tcnvme1", "discard=unmap"]);
    expect(argAfter(args, "-device", 1)).toEqual(["nvme", "drive=tcnvme1", "serial=fast1", "bus=pcie.0", "addr=0x12"]);
    expect(xml).not.toContain("disk2.qcow2\"/>");
  });

  test("shares: shared memory, and one virtiofs filesystem each; a read-only one through its wrapper", () => {
    expect(xml).toContain('<memoryBacking>\n    <source type="memfd"/>\n    <access mode="shared"/>\n  </memoryBacking>');
    expect(xml).toContain('<driver type="virtiofs" queue="1024"/>\n      <source dir="/srv/share"/>\n      <target dir="hostshare"/>');
    expect(xml).toContain('<binary path="/data/instances/tiny/virtiofsd-docs"/>\n      <source dir="/srv/docs"/>\n      <target dir="docs"/>');
    expect(renderDomainXml(spec)).not.toContain("<memoryBacking");
  });
});

/** The machine each other architecture drafts (lib/machine/arch-profile.ts), with a user-mode NIC, a disk and a share. */
const AAVMF = { code: "/usr/share/AAVMF/AAVMF_CODE.fd", varsTemplate: "/usr/share/AAVMF/AAVMF_VARS.fd", secure: false };
const OTHER_ARCHES: Record<"aarch64" | "ppc64le" | "s390x", Partial<Machine>> = {
  aarch64: { arch: "aarch64", type: "virt", firmware: "uefi", loader: AAVMF, virtType: "qemu" },
  ppc64le: { arch: "ppc64le", type: "pseries", firmware: "bios", virtType: "qemu" },
  s390x: { arch: "s390x", type: "s390-ccw-virtio", firmware: "bios", virtType: "qemu" },
};
const foreign = (arch: keyof typeof OTHER_ARCHES, extra: Partial<Machine> = {}) =>
  testDomain({
    machine: { ...OTHER_ARCHES[arch], nics: [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40022 }], ...extra },
    files: { disks: (extra.disks ?? []).map((_, i) => `/data/instances/tiny/disk${i + 1}.qcow2`) },
  });

describe("renderDomainXml other architectures", () => {
  test("aarch64: the virt board, AAVMF's code and an NVRAM of its own, ACPI (the power button), a PL011 serial console, QEMU's max CPU", () => {
    const xml = renderDomainXml(foreign("aarch64"));
    expect(xml).toContain('<type arch="aarch64" machine="virt">hvm</type>');
    expect(xml).toContain('<loader readonly="yes" secure="no" type="pflash">/usr/share/AAVMF/AAVMF_CODE.fd</loader>');
    expect(xml).toContain('<nvram template="/usr/share/AAVMF/AAVMF_VARS.fd">/data/instances/tiny/nvram.fd</nvram>');
    expect(xml).toContain("<features>\n    <acpi/>\n  </features>");
    expect(xml).toContain('<target type="system-serial" port="0">\n        <model name="pl011"/>');
    expect(xml).toContain('<cpu mode="maximum" check="none"/>');
    expect(xml).not.toContain("<bios");
    expect(argAfter(qemuArgs(xml), "-device")).toEqual(expect.arrayContaining(["virtio-net-pci", "bus=pcie.0", "addr=0x10"]));
  });

  test("ppc64le: pseries with SLOF (no loader), the spapr-vty console, a named POWER9 CPU (libvirt has no maximum for ppc64), no ACPI", () => {
    const xml = renderDomainXml(foreign("ppc64le", { tpm: true }));
    expect(xml).toContain('<type arch="ppc64le" machine="pseries">hvm</type>');
    expect(xml).toContain('<target type="spapr-vio-serial" port="0">\n        <model name="spapr-vty"/>');
    expect(xml).toContain('<model fallback="forbid">POWER9</model>');
    expect(xml).toContain('<tpm model="tpm-spapr">');
    expect(xml).not.toContain("<features");
    expect(xml).not.toContain("<loader");
    expect(argAfter(qemuArgs(xml), "-device")).toEqual(expect.arrayContaining(["virtio-net-pci", "bus=pci.0"]));
  });

  test("s390x: s390-ccw-virtio booting the root disk by its order, the SCLP console logged (no serial port), the user-mode NIC on CCW", () => {
    const xml = renderDomainXml(foreign("s390x"));
    expect(xml).toContain('<type arch="s390x" machine="s390-ccw-virtio">hvm</type>');
    expect(xml).not.toContain('<boot dev="hd"/>');
    expect(xml).toMatch(/<target dev="vda" bus="virtio"\/>\n\s*<boot order="1"\/>/);
    expect(xml).not.toContain("<serial");
    expect(xml).toContain('<console type="pty">\n      <log file="/data/instances/tiny/console.log" append="off"/>\n      <target type="sclp" port="0"/>');
    expect(argAfter(qemuArgs(xml), "-device")).toEqual(["virtio-net-ccw", "netdev=tcnet0", "mac=52:54:00:12:34:56", "devno=fe.0.ff10"]);
  });

  test("x86_64 keeps its serial port and console as before", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain('<serial type="pty">\n      <log file="/data/instances/tiny/console.log" append="off"/>\n      <target port="0"/>\n    </serial>');
    expect(xml).toContain('<console type="pty">\n      <target type="serial" port="0"/>\n    </console>');
  });
});

describe("renderDomainXml against libvirt's schema", () => {
  const tempDir = useTempDirs();
  const cases: [string, DomainSpec][] = [
    ["network mode under kvm", spec],
    ["user mode under qemu", userMode],
    ["XML metacharacters in every value", nasty],
    ["every device option at once", full],
    ["an aarch64 guest", foreign("aarch64", { disks: [{ sizeBytes: 2 ** 30, serial: "d1", bus: "scsi" }], tpm: true })],
    ["a ppc64le guest", foreign("ppc64le", { disks: [{ sizeBytes: 2 ** 30, serial: "d1", bus: "nvme" }] })],
    ["an s390x guest", foreign("s390x", { disks: [{ sizeBytes: 2 ** 30, serial: "d1", bus: "virtio" }] })],
  ];

  test.each(cases)("virt-xml-validate accepts %s", async (_label, domain) => {
    requireTool("virt-xml-validate", "libvirt-clients");
    // virt-xml-validate is a shell script around xmllint.
    requireTool("xmllint", "libxml2-utils");
    const path = join(await tempDir(), "domain.xml");
    await writeFile(path, renderDomainXml(domain));
    const result = await run(["virt-xml-validate", path, "domain"], { allowFailure: true });
    expect(`${result.exitCode}: ${(result.stderr + result.stdout).trim()}`).toBe(`0: ${path} validates`);
  });
});

// Integration with the real libvirt daemon: define and start a user-mode domain on an
// empty disk under TCG. It only has to reach "running"; nothing boots.
/** What each firmware prints first on the console. */
const FIRMWARE_SAYS: Record<keyof typeof OTHER_ARCHES, RegExp> = { aarch64: /UEFI firmware/, ppc64le: /SLOF/, s390x: /LOADPARM/ };

/** Polls `read` until `done` says so or `ms` pass; returns the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await Bun.sleep(250);
  }
}

describe("renderDomainXml with libvirt", () => {
  const tempDir = useTempDirs();
  const conn = connect(defaultUri());
  const scratchDomain = useScratchDomains(conn);

  test("libvirt starts a user-mode domain", async () => {
    requireTool("virsh", "libvirt-clients");
    const domain = await scratchDomain(await tempDir());
    await startDomain(conn, domain.uuid);
    expect(await domainStateByUuid(conn, domain.uuid)).toBe("running");
  });

  test.each(Object.keys(OTHER_ARCHES) as (keyof typeof OTHER_ARCHES)[])("libvirt defines and starts a user-mode %s domain under TCG", async (arch) => {
    requireTool("virsh", "libvirt-clients");
    requireTool(`qemu-system-${arch === "ppc64le" ? "ppc64" : arch}`, "qemu-system-arm qemu-system-ppc qemu-system-misc");
    // pseries wants more than 64 MiB for SLOF and its RMA.
    // A second NIC is libvirt's own <interface>; the first is QEMU's (it forwards ssh).
    const nics = [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40000 + Math.floor(Math.random() * 20000) }, { network: "user", mac: "52:54:00:12:34:57" }];
    const domain = await scratchDomain(await tempDir(), { ...OTHER_ARCHES[arch], memoryMiB: 256, nics });
    await startDomain(conn, domain.uuid);
    // Its firmware runs and speaks on the logged console (s390-ccw then stops: the disk is empty).
    const log = await until(() => Bun.file(domain.files.consoleLog).text().catch(() => ""), (text) => FIRMWARE_SAYS[arch].test(text), 60_000);
    expect(log).toMatch(FIRMWARE_SAYS[arch]);
  }, 90_000);
});
