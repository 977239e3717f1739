import { accessSync, constants, existsSync, readFileSync } from "node:fs";

export type VirtType = "kvm" | "qemu";

export interface VirtProbe {
  cpuinfo: () => string;
  kvmAccessible: () => boolean;
  isPvm: () => boolean;
}

const realProbe: VirtProbe = {
  cpuinfo: () => readFileSync("/proc/cpuinfo", "utf8"),
  kvmAccessible: () => {
    try {
      accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  // kvm_pvm exposes /dev/kvm without hardware virtualisation; ordinary guests crash or crawl on it.
  isPvm: () => existsSync("/sys/module/kvm_pvm"),
};

export interface VirtDecision {
  type: VirtType;
  reason: string;
}

/** Chooses KVM only when it really works (CPU flag, usable /dev/kvm, not PVM); TCG otherwise. */
export function detectVirtType(probe: VirtProbe = realProbe): VirtDecision {
  if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(probe.cpuinfo())) {
    return { type: "qemu", reason: "CPU has no vmx/svm flag" };
  }
  if (probe.isPvm()) return { type: "qemu", reason: "/dev/kvm is kvm_pvm" };
  if (!probe.kvmAccessible()) return { type: "qemu", reason: "/dev/kvm is not accessible" };
  return { type: "kvm", reason: "hardware virtualisation available" };
}
