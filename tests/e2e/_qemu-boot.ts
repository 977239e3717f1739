// Boots a test image with qemu-system-x86_64 directly (no libvirt, no testcloud), to
// prove what the image itself does under each firmware: TCG, q35, the serial console
// in a file, -snapshot so the cached image is never written.
import { expect } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Firmware = "bios" | "uefi" | "uefi-secure";

const DESCRIPTORS = "/usr/share/qemu/firmware";

interface Descriptor {
  "interface-types": string[];
  mapping: { device: string; executable?: { filename: string }; "nvram-template"?: { filename: string } };
  targets: { architecture: string; machines: string[] }[];
  features: string[];
}

/** OVMF for q35 from QEMU's firmware descriptors, first by file name as libvirt picks: with Microsoft's keys enrolled for "uefi-secure", without Secure Boot for "uefi". */
export function ovmf(firmware: "uefi" | "uefi-secure"): { code: string; vars: string; smm: boolean } {
  const secure = firmware === "uefi-secure";
  for (const name of readdirSync(DESCRIPTORS).filter((n) => n.endsWith(".json")).sort()) {
    const d = JSON.parse(readFileSync(join(DESCRIPTORS, name), "utf8")) as Descriptor;
    const q35 = d.targets.some((t) => t.architecture === "x86_64" && t.machines.some((m) => m.startsWith("pc-q35")));
    const fits = secure
      ? d.features.includes("secure-boot") && d.features.includes("enrolled-keys")
      : !d.features.includes("secure-boot");
    const { executable, "nvram-template": template } = d.mapping;
    if (d["interface-types"].includes("uefi") && d.mapping.device === "flash" && q35 && fits && executable && template) {
      return { code: executable.filename, vars: template.filename, smm: d.features.includes("requires-smm") };
    }
  }
  throw new Error(`no ${firmware} firmware for q35 in ${DESCRIPTORS} (apt-get install ovmf)`);
}

/** QEMU arguments for the firmware; UEFI gets a private copy of the variables template in dir. */
function firmwareArgs(firmware: Firmware, dir: string): { machine: string; args: string[] } {
  if (firmware === "bios") return { machine: "q35", args: [] };
  const { code, vars, smm } = ovmf(firmware);
  copyFileSync(vars, join(dir, "vars.fd"));
  const args = [
    "-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${code}`,
    "-drive", `if=pflash,format=raw,unit=1,file=${join(dir, "vars.fd")}`,
  ];
  // An SMM build only runs when the flash is reachable from SMM alone
  if (smm) args.unshift("-global", "driver=cfi.pflash01,property=secure,value=on");
  return { machine: smm ? "q35,smm=on" : "q35", args };
}

export interface BootOptions {
  image: string;
  firmware: Firmware;
  /** Boot until the serial console shows this. */
  until: RegExp;
  timeoutMs: number;
  memoryMiB?: number;
  /** More QEMU arguments: disks, NICs, a seed. */
  extra?: string[];
}

/** Boots until `until` shows on the serial console, then kills QEMU (always); returns the console text. */
export async function bootUntil(options: BootOptions): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "testcloud-qemu-"));
  const serial = join(dir, "serial.log");
  const before = statSync(options.image);
  const { machine, args } = firmwareArgs(options.firmware, dir);
  const proc = Bun.spawn([
    "qemu-system-x86_64", "-machine", machine, "-accel", "tcg", "-m", String(options.memoryMiB ?? 512),
    // -nographic: with no display SeaBIOS writes its screen to the serial port too
    "-nodefaults", "-nographic", "-monitor", "none", "-no-reboot", "-snapshot", ...args,
    // bootindex: SeaBIOS tries one hard disk only, and would pick a SATA or NVMe one first
    "-drive", `file=${options.image},if=none,id=image,format=qcow2`, "-device", "virtio-blk-pci,drive=image,bootindex=0",
    "-serial", `file:${serial}`, ...(options.extra ?? []),
  ], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const stderr = new Response(proc.stderr).text();
  try {
    const deadline = Date.now() + options.timeoutMs;
    let text = "";
    while (Date.now() < deadline && proc.exitCode === null) {
      text = existsSync(serial) ? readFileSync(serial, "utf8") : "";
      if (options.until.test(text)) break;
      await Bun.sleep(250);
    }
    if (!options.until.test(text)) {
      throw new Error(`no ${options.until} on the serial console (${options.firmware}, ${options.image}); QEMU exit ${proc.exitCode}, stderr: ${proc.exitCode === null ? "" : await stderr}\n--- serial tail ---\n${text.slice(-3000)}`);
    }
    return text;
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
    const after = statSync(options.image);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  }
}
