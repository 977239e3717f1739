/**
 * renderDomainXml, read as text: every value escaped, the NICs of each network mode, the
 * machine (CPU, memory, metadata, disks, Ignition's fw_cfg, graphics), firmware and TPM, and
 * extra disks and shares, for an x86_64 guest. Other architectures: domain-xml-arches;
 * libvirt's schema and daemon: domain-xml-libvirt.
 */
import { describe, expect, test } from "bun:test";
import { METADATA_NS, renderDomainXml } from "../../lib/libvirt/domain-xml.ts";
import { testDomain } from "../_machine.ts";
import { argAfter, full, nasty, NASTY, qemuArgs, spec, userMode } from "./_domain-fixtures.ts";

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

