import { describe, expect, test } from "bun:test";
import { bootProblem } from "../../lib/instance/boot-problem.ts";

describe("bootProblem", () => {
  const cases: [string, string[], "bios" | "uefi" | "uefi-secure", string | null][] = [
    ["SeaBIOS with nothing to boot", ["SeaBIOS (version 1.16.2-debian-1.16.2-1)", "Booting from Hard Disk...", "Boot failed: not a bootable disk", "No bootable device."], "bios", "try --firmware uefi"],
    ["OVMF with nothing to boot", ["BdsDxe: No bootable option or device was found."], "uefi", "try --firmware bios"],
    ["OVMF dropped into its shell", ["UEFI Interactive Shell v2.2", "Shell> "], "uefi", "try --firmware bios"],
    ["Secure Boot refusing an unsigned loader", ["BdsDxe: failed to load Boot0001 \"UEFI QEMU HARDDISK\": Access Denied"], "uefi-secure", "try --firmware uefi"],
    ["GRUB out of memory under OVMF", ["Welcome to GRUB!", "error: out of memory.", "error: you need to load the kernel first."], "uefi", "--ram 512"],
    ["a kernel booting", ["Linux version 6.1.0-28-cloud-amd64", "Run /init as init process"], "bios", null],
    ["the same words under another firmware", ["No bootable device."], "uefi", null],
  ];
  test.each(cases)("%s", (_label, lines, firmware, hint) => {
    expect(bootProblem(lines, firmware)?.hint ?? null).toEqual(hint === null ? null : expect.stringContaining(hint));
  });
});

describe("bootProblem on other architectures", () => {
  const cases: [string, string[], "aarch64" | "ppc64le" | "s390x", boolean][] = [
    ["s390-ccw with no zipl boot record (an empty or x86 disk)", ["LOADPARM=[        ]", "Using virtio-blk.", "No zIPL section in IPL2 record.", "zIPL load failed.", "Failed to load OS from hard disk"], "s390x", true],
    ["AAVMF with nothing to boot (a BIOS-only or x86 image)", ["BdsDxe: No bootable option or device was found."], "aarch64", true],
    ["SLOF with nothing to boot", ["No bootable device"], "ppc64le", true],
    ["a kernel booting under SLOF", ["SLOF", "Booting Linux via __start() @ 0x0000000002000000 ..."], "ppc64le", false],
  ];
  test.each(cases)("%s", (_label, lines, arch, gaveUp) => {
    const problem = bootProblem(lines, arch === "aarch64" ? "uefi" : "bios", arch);
    expect(problem?.hint ?? null).toEqual(gaveUp ? expect.stringContaining("check --arch") : null);
    if (gaveUp) expect(problem!.hint).not.toContain("--firmware");
  });
});
