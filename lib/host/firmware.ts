import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "./posix-path.ts";
import { DependencyError } from "../errors.ts";
import type { Firmware, Loader, Machine } from "../machine/machine.ts";

/** QEMU's firmware descriptor directories, highest precedence first (docs/interop/firmware.json). */
export const DESCRIPTOR_DIRS = ["/etc/qemu/firmware", "/usr/share/qemu/firmware"];

/** The parts of a firmware descriptor the choice depends on. */
interface Descriptor {
  "interface-types"?: string[];
  mapping?: { device?: string; executable?: { filename?: string; format?: string }; "nvram-template"?: { filename?: string; format?: string } };
  targets?: { architecture?: string; machines?: string[] }[];
  features?: string[];
}

/**
 * The UEFI firmware for a machine, chosen from the host's firmware descriptors the way
 * libvirt's `<os firmware="efi">` chooses (files in name order, /etc over /usr/share by
 * name), but explicitly: "uefi" takes one without Secure Boot (libvirt would pick the
 * enrolled Secure Boot build first), "uefi-secure" one with Secure Boot and enrolled keys.
 */
export function findLoader(firmware: Exclude<Firmware, "bios">, machine: Pick<Machine, "arch" | "type">, dirs = DESCRIPTOR_DIRS): Loader {
  for (const descriptor of descriptors(dirs)) {
    const loader = matching(descriptor, firmware, machine);
    if (loader) return loader;
  }
  throw new DependencyError(`No ${firmware === "uefi" ? "UEFI" : "UEFI Secure Boot"} firmware for ${machine.arch}/${machine.type} on this host`, {
    code: "E_MISSING_FIRMWARE",
    hint: `install the ${machine.arch === "aarch64" ? "qemu-efi-aarch64" : "ovmf"} package (firmware descriptors are read from ${dirs.join(" and ")})`,
  });
}

function descriptors(dirs: string[]): Descriptor[] {
  const byName = new Map<string, string>();
  for (const dir of [...dirs].reverse()) {
    for (const name of safeReaddir(dir).filter((n) => n.endsWith(".json"))) byName.set(name, join(dir, name));
  }
  return [...byName.keys()].sort().flatMap((name) => {
    try {
      return [JSON.parse(readFileSync(byName.get(name)!, "utf8")) as Descriptor];
    } catch {
      return []; // a broken descriptor is skipped, as libvirt does
    }
  });
}

function matching(d: Descriptor, firmware: Exclude<Firmware, "bios">, machine: Pick<Machine, "arch" | "type">): Loader | null {
  const { mapping } = d;
  const code = mapping?.executable?.filename;
  const vars = mapping?.["nvram-template"]?.filename;
  if (!d["interface-types"]?.includes("uefi") || mapping?.device !== "flash" || !code || !vars) return null;
  if (mapping.executable?.format !== "raw" || mapping["nvram-template"]?.format !== "raw") return null;
  // Descriptors name versioned machine types by glob ("pc-q35-*", "virt-*").
  const machineName = { q35: "pc-q35-", pc: "pc-i440fx-", virt: "virt-" }[machine.type as string] ?? `${machine.type}-`;
  const target = d.targets?.some((t) => t.architecture === machine.arch && t.machines?.some((glob) => glob.endsWith("*") && machineName.startsWith(glob.slice(0, -1))));
  if (!target) return null;
  const features = d.features ?? [];
  const secure = features.includes("secure-boot");
  if (firmware === "uefi" && secure) return null;
  if (firmware === "uefi-secure" && !(secure && features.includes("enrolled-keys"))) return null;
  if (!existsSync(code) || !existsSync(vars)) return null;
  return { code, varsTemplate: vars, secure };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
