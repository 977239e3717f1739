import { describe, expect, test } from "bun:test";
import { ARCH_PROFILES, FOREIGN_TIMEOUT_FACTOR, foreignArch, waitTimeoutS } from "../../lib/machine/arch-profile.ts";
import { ARCHES, hostArch } from "../../lib/machine/arch.ts";

const other = ARCHES.find((a) => a !== hostArch())!;

describe("waitTimeoutS", () => {
  test("a guest of another architecture waits FOREIGN_TIMEOUT_FACTOR times the default timeout", () => {
    expect(FOREIGN_TIMEOUT_FACTOR).toBe(3);
    expect(waitTimeoutS(300, true, { arch: other })).toBe(900);
  });

  test("a timeout the user gave is kept as given, also for another architecture", () => {
    expect(waitTimeoutS(120, false, { arch: other })).toBe(120);
  });

  test("the host's own architecture keeps the default", () => {
    expect(waitTimeoutS(300, true, { arch: hostArch() })).toBe(300);
  });
});

describe("ARCH_PROFILES", () => {
  test("each architecture's default machine and firmware are the ones its cloud images boot with", () => {
    const defaults = Object.fromEntries(ARCHES.map((a) => [a, [ARCH_PROFILES[a].machines[0], ARCH_PROFILES[a].firmwares[0]]]));
    expect(defaults).toEqual({ x86_64: ["q35", "bios"], aarch64: ["virt", "uefi"], ppc64le: ["pseries", "bios"], s390x: ["s390-ccw-virtio", "bios"] });
  });

  test("names the emulator and the Debian package that has it", () => {
    expect(ARCHES.map((a) => `${ARCH_PROFILES[a].emulator} ${ARCH_PROFILES[a].package}`)).toEqual([
      "qemu-system-x86_64 qemu-system-x86",
      "qemu-system-aarch64 qemu-system-arm qemu-efi-aarch64",
      "qemu-system-ppc64 qemu-system-ppc",
      "qemu-system-s390x qemu-system-misc",
    ]);
  });

  test("foreignArch is true for every architecture but the host's", () => {
    expect(ARCHES.filter((arch) => foreignArch({ arch }, "x86_64"))).toEqual(["aarch64", "ppc64le", "s390x"]);
  });
});
