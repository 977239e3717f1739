/**
 * Domains shared by the renderDomainXml tests (domain-xml, domain-xml-arches, domain-xml-libvirt):
 * the default spec, a user-mode one, one with XML metacharacters in every value, one with every
 * device option, the other architectures' machines, and readers of the QEMU arguments.
 */
import type { Machine } from "../../lib/machine/machine.ts";
import { testDomain } from "../_machine.ts";

export const spec = testDomain();
export const userMode = testDomain({ machine: { virtType: "qemu", nics: [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40022 }] } });
export const NASTY = `a<b>&'"c`;
export const nasty = testDomain({
  name: NASTY,
  instanceDir: `/data/${NASTY}`,
  machine: { nics: [{ network: NASTY, mac: "52:54:00:12:34:56" }], shares: [{ hostDir: `/srv/${NASTY}`, tag: "t", readonly: false }] },
});
/** Every device option at once. */
export const full = testDomain({
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
export const qemuArgs = (xml: string) => [...xml.matchAll(/<qemu:arg value="([^"]*)"\/>/g)].map((m) => m[1]!);
export const argAfter = (args: string[], flag: string, nth = 0) => args.filter((_, i) => args[i - 1] === flag)[nth]!.split(",");

/** The machine each other architecture drafts (lib/machine/arch-profile.ts), with a user-mode NIC, a disk and a share. */
const AAVMF = { code: "/usr/share/AAVMF/AAVMF_CODE.fd", varsTemplate: "/usr/share/AAVMF/AAVMF_VARS.fd", secure: false };
export const OTHER_ARCHES: Record<"aarch64" | "ppc64le" | "s390x", Partial<Machine>> = {
  aarch64: { arch: "aarch64", type: "virt", firmware: "uefi", loader: AAVMF, virtType: "qemu" },
  ppc64le: { arch: "ppc64le", type: "pseries", firmware: "bios", virtType: "qemu" },
  s390x: { arch: "s390x", type: "s390-ccw-virtio", firmware: "bios", virtType: "qemu" },
};
export const foreign = (arch: keyof typeof OTHER_ARCHES, extra: Partial<Machine> = {}) =>
  testDomain({
    machine: { ...OTHER_ARCHES[arch], nics: [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40022 }], ...extra },
    files: { disks: (extra.disks ?? []).map((_, i) => `/data/instances/tiny/disk${i + 1}.qcow2`) },
  });
