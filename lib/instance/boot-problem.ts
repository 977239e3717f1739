import type { Firmware, Machine } from "../machine/machine.ts";

/** A boot that cannot succeed, as the firmware says on the serial console, and what to try instead. */
export interface BootProblem {
  message: string;
  hint: string;
}

/**
 * Reads the console's last lines for a firmware that gave up: SeaBIOS found nothing to
 * boot (a UEFI-only image), OVMF found nothing (a BIOS-only image) or refused an unsigned
 * bootloader under Secure Boot. On other architectures, which have one firmware each,
 * SLOF or s390-ccw finding nothing to boot, or AAVMF its shell. Waiting longer would only
 * end in a timeout.
 */
export function bootProblem(lines: string[], firmware: Firmware, arch: Machine["arch"] = "x86_64"): BootProblem | null {
  const text = lines.join("\n");
  if (arch !== "x86_64") return otherArchProblem(text, arch);
  // GRUB loads the kernel and initrd into the firmware's memory: OVMF leaves it too little of a small guest.
  if (/error: out of memory/.test(text) && /you need to load the kernel first/.test(text)) {
    return { message: "the bootloader ran out of memory loading the kernel", hint: "give the guest more memory, e.g. --ram 512" };
  }
  if (firmware === "bios" && /No bootable device/i.test(text)) {
    return { message: "no bootable device under BIOS", hint: "the image may boot only with UEFI: try --firmware uefi" };
  }
  if (firmware === "uefi-secure" && /Security Violation|Access Denied|verification failed/i.test(text)) {
    return { message: "Secure Boot refused the image's bootloader", hint: "the image is not signed for these keys: try --firmware uefi" };
  }
  if (firmware !== "bios" && /No bootable option or device was found|UEFI Interactive Shell|^Shell> /im.test(text)) {
    return { message: "no bootable device under UEFI", hint: "the image may boot only with BIOS: try --firmware bios" };
  }
  return null;
}

/** A firmware of aarch64 (AAVMF), ppc64le (SLOF) or s390x (s390-ccw) that found nothing to boot. */
function otherArchProblem(text: string, arch: Machine["arch"]): BootProblem | null {
  const gaveUp = /No bootable device|No bootable option or device was found|UEFI Interactive Shell|^Shell> |zIPL load failed|Failed to load OS from hard disk|! Cannot IPL/im;
  if (!gaveUp.test(text)) return null;
  return { message: `the ${arch} firmware found nothing to boot`, hint: `the image may be of another architecture than ${arch}, or not bootable: check --arch` };
}
