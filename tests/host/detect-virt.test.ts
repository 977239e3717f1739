import { describe, expect, test } from "bun:test";
import { detectVirtType, type VirtProbe, type VirtType } from "../../lib/host/detect-virt.ts";

const INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse msr vmx ssse3 sse4_1 avx2\n";
const AMD = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme svm sse4a avx2\n";
const NONE = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse msr ssse3 avx2 hypervisor\n";
// "vmx" appearing outside the flags line (or as part of another word) does not count.
const DECOY = "processor\t: 0\nmodel name\t: vmx svm edition\nflags\t\t: fpu vmxext svmlock\nvmx flags\t: ept\n";

function probe(cpuinfo: string, kvmAccessible: boolean, isPvm: boolean): VirtProbe {
  return { cpuinfo: () => cpuinfo, kvmAccessible: () => kvmAccessible, isPvm: () => isPvm };
}

describe("detectVirtType", () => {
  const cases: [string, VirtProbe, VirtType, string][] = [
    ["an Intel CPU with vmx and a usable /dev/kvm", probe(INTEL, true, false), "kvm", "hardware virtualisation"],
    ["an AMD CPU with svm and a usable /dev/kvm", probe(AMD, true, false), "kvm", "hardware virtualisation"],
    ["a CPU without vmx/svm", probe(NONE, true, false), "qemu", "no vmx/svm"],
    ["vmx/svm only outside the flags line", probe(DECOY, true, false), "qemu", "no vmx/svm"],
    ["kvm_pvm loaded", probe(INTEL, true, true), "qemu", "kvm_pvm"],
    ["an inaccessible /dev/kvm", probe(AMD, false, false), "qemu", "not accessible"],
    ["empty cpuinfo", probe("", true, false), "qemu", "no vmx/svm"],
  ];

  test.each(cases)("chooses the right type for %s", (_label, p, type, reason) => {
    const decision = detectVirtType(p);
    expect(decision.type).toBe(type);
    expect(decision.reason).toContain(reason);
  });

  test("checks for PVM before /dev/kvm access, so a PVM host reports PVM", () => {
    expect(detectVirtType(probe(INTEL, false, true)).reason).toContain("kvm_pvm");
  });

  test("the real probe returns a decision on this host", () => {
    const decision = detectVirtType();
    expect(["kvm", "qemu"]).toContain(decision.type);
    expect(decision.reason).not.toBe("");
  });
});
