/**
 * renderDomainXml for the other architectures (aarch64, ppc64le, s390x): each one's board,
 * firmware, console, CPU and NIC bus, and x86_64's serial console unchanged beside them.
 */
import { describe, expect, test } from "bun:test";
import { renderDomainXml } from "../../lib/libvirt/domain-xml.ts";
import { argAfter, foreign, qemuArgs, spec } from "./_domain-fixtures.ts";

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
