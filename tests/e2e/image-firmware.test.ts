// The test images boot like distro images, from their own bootloaders, under BIOS and
// UEFI (with Secure Boot enforced too). Proved with QEMU directly, not through
// testcloud's flags: what the images do, whatever the product asks of libvirt.
import { describe, expect, test } from "bun:test";
import { bootUntil } from "./_qemu-boot.ts";
import { withoutTerminalCodes } from "../../lib/instance/console-tail.ts";
import { testImage } from "./_env.ts";

// Under TCG on a busy 2-core host: tiny reaches init in ~10 s (UEFI ~15 s),
// Debian prints its kernel messages within ~60 s.
const TINY = 90_000;
const DEBIAN = 180_000;
const DEBIAN_WELCOME = /Welcome to .{0,8}Debian GNU\/Linux 12/;

describe("tiny image firmware", () => {
  test("boots under BIOS: SeaBIOS, syslinux from the MBR, then init reports firmware bios", async () => {
    const serial = await bootUntil({ image: testImage("tiny"), firmware: "bios", until: /TESTCLOUD-TINY: firmware: /, timeoutMs: TINY });
    expect(serial).toContain("SeaBIOS");
    expect(serial).toContain("SYSLINUX");
    expect(serial).toContain("TESTCLOUD-TINY: init start");
    expect(serial).toContain("TESTCLOUD-TINY: firmware: bios");
  }, TINY + 10_000);

  test("boots under UEFI from \\EFI\\BOOT\\BOOTX64.EFI (shim, GRUB) and the guest sees /sys/firmware/efi", async () => {
    const serial = await bootUntil({ image: testImage("tiny"), firmware: "uefi", until: /TESTCLOUD-TINY: firmware: /, timeoutMs: TINY });
    expect(serial).not.toContain("SYSLINUX");
    expect(serial).toContain("TESTCLOUD-TINY: init start");
    expect(serial).toContain("TESTCLOUD-TINY: firmware: uefi (secure boot off)");
  }, TINY + 10_000);

  test("boots under UEFI with Secure Boot enforced (Microsoft keys): signed shim, GRUB and kernel", async () => {
    const serial = await bootUntil({ image: testImage("tiny"), firmware: "uefi-secure", until: /TESTCLOUD-TINY: firmware: /, timeoutMs: TINY });
    expect(serial).toContain("TESTCLOUD-TINY: firmware: uefi (secure boot on)");
    expect(serial).not.toContain("modules FAILED");
  }, TINY + 10_000);
});

describe("debian image firmware", () => {
  test("boots under BIOS: GRUB i386-pc from the MBR, the kernel, then systemd", async () => {
    const serial = await bootUntil({ image: testImage("debian"), firmware: "bios", until: DEBIAN_WELCOME, timeoutMs: DEBIAN });
    expect(serial).toContain("SeaBIOS");
    // GRUB draws its screen with cursor moves, which may fall inside a word.
    expect(withoutTerminalCodes(serial)).toContain("Welcome to GRUB!");
    expect(serial).toContain("Command line: BOOT_IMAGE=/vmlinuz root=UUID=");
    expect(serial).not.toContain("secureboot:");
  }, DEBIAN + 10_000);

  test("boots under UEFI without Secure Boot from the ESP, then systemd", async () => {
    const serial = await bootUntil({ image: testImage("debian"), firmware: "uefi", until: DEBIAN_WELCOME, timeoutMs: DEBIAN });
    expect(serial).toContain("secureboot: Secure boot disabled");
  }, DEBIAN + 10_000);

  test("boots under UEFI with Secure Boot enforced through the signed shim, GRUB and kernel", async () => {
    const serial = await bootUntil({ image: testImage("debian"), firmware: "uefi-secure", until: DEBIAN_WELCOME, timeoutMs: DEBIAN });
    expect(serial).toContain("EFI stub: UEFI Secure Boot is enabled");
    expect(serial).toContain("secureboot: Secure boot enabled");
  }, DEBIAN + 10_000);
});
