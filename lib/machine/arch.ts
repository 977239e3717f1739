import { UsageError } from "../errors.ts";

/** A guest (or host) architecture, as the distros name it. */
export type Arch = "x86_64" | "aarch64" | "ppc64le" | "s390x";

/** Every architecture a shortcut can resolve for, in the order error messages list them. */
export const ARCHES: readonly Arch[] = ["x86_64", "aarch64", "ppc64le", "s390x"];

// Debian/Ubuntu and Node spell some of them differently; accept what users type.
const ALIASES: Record<string, Arch> = { amd64: "x86_64", x64: "x86_64", arm64: "aarch64", ppc64el: "ppc64le" };
const NODE_ARCH: Partial<Record<string, Arch>> = { x64: "x86_64", arm64: "aarch64", ppc64: "ppc64le", s390x: "s390x" };

/** Checks a user-given architecture name, accepting amd64/arm64/ppc64el as aliases. */
export function parseArch(value: string): Arch {
  const name = value.trim().toLowerCase();
  if ((ARCHES as string[]).includes(name)) return name as Arch;
  const alias = ALIASES[name];
  if (alias) return alias;
  throw new UsageError(`Unknown architecture: "${value}": expected one of ${ARCHES.join(", ")}`);
}

/** The architecture of this host, as the distros name it. */
export function hostArch(nodeArch: string = process.arch): Arch {
  const arch = NODE_ARCH[nodeArch];
  if (!arch) {
    throw new UsageError(`Unsupported host architecture: "${nodeArch}": pass --arch with one of ${ARCHES.join(", ")}`);
  }
  return arch;
}
