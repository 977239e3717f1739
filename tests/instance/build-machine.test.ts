import { describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TestcloudError } from "../../lib/errors.ts";
import { loadConfig } from "../../lib/host/config.ts";
import { checkMachine, draftMachine } from "../../lib/instance/build-machine.ts";
import { connect } from "../../lib/libvirt/virsh.ts";
import { fakeRunner, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

async function settings(flags: Record<string, unknown> = {}) {
  return (await loadConfig({ files: [], env: {}, uid: 0, flags: flags as never })).settings;
}

/** libvirt that says every network is active, without a daemon. */
const activeNets = connect("qemu:///system", fakeRunner((argv) => ({ stdout: argv.includes("net-info") ? "Active:         yes\n" : "" })));

async function failure(run: () => Promise<unknown>): Promise<TestcloudError> {
  try {
    await run();
  } catch (error) {
    return error as TestcloudError;
  }
  throw new Error("expected a failure");
}

describe("draftMachine", () => {
  test("defaults: q35, bios, the detected virt type, the first NIC on the given network", async () => {
    const m = draftMachine(await settings(), "default", () => "qemu");
    expect(m).toEqual({
      arch: "x86_64", type: "q35", firmware: "bios", virtType: "qemu", cpu: "auto", memoryMiB: 1024, vcpus: 2, rootDiskSize: 0,
      disks: [], nics: [{ network: "default", mac: "" }], isolated: false, forwards: [], shares: [], tpm: false, graphics: "none",
    });
  });

  test("every setting lands in its field; disks without a serial get disk<N>; UEFI gets the host's loader", async () => {
    const s = await settings({ ram: "512", vcpus: "1", diskSize: "20G", virtType: "kvm", vnc: true, machine: "q35", firmware: "uefi", cpu: "max", tpm: true, disk: ["1G", "2G,serial=x,bus=scsi"], nic: ["user"], share: ["/srv:s:ro"] });
    const m = draftMachine(s, "testcloud-test");
    expect(m).toMatchObject({ memoryMiB: 512, vcpus: 1, rootDiskSize: 20 * 2 ** 30, virtType: "kvm", graphics: "vnc", firmware: "uefi", cpu: "max", tpm: true });
    expect(m.disks).toEqual([{ sizeBytes: 2 ** 30, serial: "disk1", bus: "virtio" }, { sizeBytes: 2 * 2 ** 30, serial: "x", bus: "scsi" }]);
    expect(m.nics).toEqual([{ network: "testcloud-test", mac: "" }, { network: "user", mac: "" }]);
    expect(m.shares).toEqual([{ hostDir: "/srv", tag: "s", readonly: true }]);
    expect(m.loader).toEqual({ code: "/usr/share/OVMF/OVMF_CODE_4M.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd", secure: false });
  });

  test("--arch aarch64 on an x86_64 host: the virt board with AAVMF (qemu-efi-aarch64's descriptor), under TCG even where KVM works", async () => {
    const m = draftMachine(await settings({ arch: "aarch64" }), "default", () => "kvm", "x86_64");
    expect(m).toMatchObject({ arch: "aarch64", type: "virt", firmware: "uefi", virtType: "qemu" });
    expect(m.loader).toEqual({ code: "/usr/share/AAVMF/AAVMF_CODE.fd", varsTemplate: "/usr/share/AAVMF/AAVMF_VARS.fd", secure: false });
  });

  test("--arch ppc64le and s390x: pseries and s390-ccw-virtio with their own firmware (no loader)", async () => {
    const ppc = draftMachine(await settings({ arch: "ppc64el" }), "default", () => "kvm", "x86_64");
    expect(ppc).toMatchObject({ arch: "ppc64le", type: "pseries", firmware: "bios", virtType: "qemu" });
    expect(ppc.loader).toBeUndefined();
    const s390 = draftMachine(await settings({ arch: "s390x" }), "default", () => "kvm", "x86_64");
    expect(s390).toMatchObject({ arch: "s390x", type: "s390-ccw-virtio", firmware: "bios", virtType: "qemu" });
  });

  test("the host's own architecture named with --arch keeps KVM where it works", async () => {
    const m = draftMachine(await settings({ arch: "amd64" }), "default", () => "kvm", "x86_64");
    expect(m).toMatchObject({ arch: "x86_64", type: "q35", firmware: "bios", virtType: "kvm" });
  });

  const unfit: [string, Record<string, unknown>, string][] = [
    ["another architecture's machine type", { arch: "aarch64", machine: "q35" }, "--machine q35 (expected virt)"],
    ["BIOS for aarch64", { arch: "aarch64", firmware: "bios" }, "--firmware bios (its firmware is uefi)"],
    ["UEFI for s390x", { arch: "s390x", firmware: "uefi" }, "--firmware uefi (its firmware is bios)"],
    ["Secure Boot for aarch64", { arch: "aarch64", firmware: "uefi-secure" }, "--firmware uefi-secure"],
    ["KVM across architectures", { arch: "ppc64le", virtType: "kvm" }, "--virt-type kvm on a x86_64 host"],
    ["a TPM on s390x", { arch: "s390x", tpm: true }, "--tpm"],
    ["an NVMe disk on s390x", { arch: "s390x", disk: ["1G,bus=nvme"] }, "bus=nvme"],
  ];
  test.each(unfit)("refuses %s as E_UNSUPPORTED_ARCH", async (_label, flags, detail) => {
    const s = await settings(flags);
    const error = await failure(async () => draftMachine(s, "default", () => "qemu", "x86_64"));
    expect(error.code).toBe("E_UNSUPPORTED_ARCH");
    expect(error.message).toContain(detail);
  });
});

describe("checkMachine refuses, before anything is made", () => {
  test("two disks with one serial", async () => {
    const m = draftMachine(await settings({ disk: ["1G,serial=a", "2G,serial=a"] }), "default");
    expect((await failure(() => checkMachine(m, activeNets))).message).toBe('Invalid --disk: serial "a" is given twice: the guest tells disks apart by serial');
  });

  test("two shares with one tag, a missing directory, a directory with a comma", async () => {
    const dir = await tempDir();
    const twice = draftMachine(await settings({ share: [`${dir}:t`, `${dir}:t`] }), "default");
    expect((await failure(() => checkMachine(twice, activeNets))).message).toBe('Invalid --share: tag "t" is given twice');
    const missing = draftMachine(await settings({ share: [`${dir}/nope:t`] }), "default");
    expect((await failure(() => checkMachine(missing, activeNets))).code).toBe("E_SHARE_NOT_FOUND");
    await mkdir(join(dir, "a,b"));
    const comma = draftMachine(await settings({ share: [`${dir}/a,b:t`] }), "default");
    expect((await failure(() => checkMachine(comma, activeNets))).message).toContain("must not contain commas");
  });

  test("shares on a session daemon, which cannot run virtiofsd on libvirt 9", async () => {
    const m = draftMachine(await settings({ share: [`${await tempDir()}:t`] }), "user");
    const error = await failure(() => checkMachine(m, connect("qemu:///session", fakeRunner())));
    expect(error.message).toContain("Shared folders need qemu:///system");
  });

  test("Secure Boot on the pc machine type", async () => {
    const s = await settings({ machine: "pc", firmware: "uefi-secure" });
    expect((await failure(async () => draftMachine(s, "default"))).message).toContain("Secure Boot needs SMM");
  });

  test("an extra NIC on a network that is not active", async () => {
    const m = draftMachine(await settings({ nic: ["sleepy"] }), "default");
    const inactive = connect("qemu:///system", fakeRunner((argv) => ({ stdout: argv.at(-1) === "sleepy" ? "Active:         no\n" : "Active:         yes\n" })));
    expect((await failure(() => checkMachine(m, inactive))).message).toBe('libvirt network is not active: "sleepy"');
  });

  test("forwards: on a libvirt network, from an address not of this host, twice, or from a port in use", async () => {
    const onNetwork = draftMachine(await settings({ forward: ["8080:80"] }), "default");
    expect((await failure(() => checkMachine(onNetwork, activeNets))).message).toContain("--forward needs user-mode networking");
    const foreign = draftMachine(await settings({ forward: ["198.51.100.7:8080:80"] }), "user");
    expect((await failure(() => checkMachine(foreign, activeNets))).message).toBe("Invalid --forward: host address 198.51.100.7 is not an address of this host");
    const twice = draftMachine(await settings({ forward: ["18080:80", "18080:81"] }), "user");
    expect((await failure(() => checkMachine(twice, activeNets))).message).toBe("Invalid --forward: 127.0.0.1:18080/tcp is given twice");
    const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const taken = draftMachine(await settings({ forward: [`${busy.port}:80`] }), "user");
      expect((await failure(() => checkMachine(taken, activeNets))).code).toBe("E_PORT_IN_USE");
    } finally {
      busy.stop(true);
    }
  });

  test("more memory or CPUs than the host has", async () => {
    const m = draftMachine(await settings({ vcpus: "4096" }), "default");
    expect((await failure(() => checkMachine(m, activeNets))).message).toStartWith("Invalid --vcpus: 4096");
  });
});
