import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DependencyError } from "../../lib/errors.ts";
import { findLoader } from "../../lib/host/firmware.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

/** A descriptor as QEMU's docs/interop/firmware.json describes one, pointing at real files. */
async function descriptor(dir: string, name: string, files: string, features: string[], machines = ["pc-q35-*", "pc-i440fx-*"]) {
  const code = join(files, `${name}.code`);
  const vars = join(files, `${name}.vars`);
  await writeFile(code, "");
  await writeFile(vars, "");
  const json = {
    "interface-types": ["uefi"],
    mapping: { device: "flash", executable: { filename: code, format: "raw" }, "nvram-template": { filename: vars, format: "raw" } },
    targets: [{ architecture: "x86_64", machines }],
    features,
  };
  await writeFile(join(dir, `${name}.json`), JSON.stringify(json));
  return { code, varsTemplate: vars };
}

async function hostLike() {
  const root = await tempDir();
  const [etc, usr] = [join(root, "etc"), join(root, "usr")];
  await Promise.all([mkdir(etc), mkdir(usr)]);
  // As Debian's ovmf ships them: the enrolled Secure Boot build sorts first.
  const enrolled = await descriptor(usr, "40-secure-enrolled", root, ["secure-boot", "enrolled-keys", "requires-smm"], ["pc-q35-*"]);
  const secure = await descriptor(usr, "50-secure", root, ["secure-boot", "requires-smm"], ["pc-q35-*"]);
  const plain = await descriptor(usr, "60-plain", root, ["acpi-s3"]);
  return { dirs: [etc, usr], etc, root, enrolled, secure, plain };
}

describe("findLoader", () => {
  test("uefi takes the first build without Secure Boot, though libvirt would pick the enrolled one", async () => {
    const host = await hostLike();
    expect(findLoader("uefi", { arch: "x86_64", type: "q35" }, host.dirs)).toEqual({ ...host.plain, secure: false });
    expect(findLoader("uefi", { arch: "x86_64", type: "pc" }, host.dirs)).toEqual({ ...host.plain, secure: false });
  });

  test("uefi-secure takes a Secure Boot build with enrolled keys", async () => {
    const host = await hostLike();
    expect(findLoader("uefi-secure", { arch: "x86_64", type: "q35" }, host.dirs)).toEqual({ ...host.enrolled, secure: true });
  });

  test("a descriptor in /etc replaces the one of the same name in /usr/share", async () => {
    const host = await hostLike();
    const mine = await descriptor(host.etc, "60-plain", join(host.root, "etc"), ["acpi-s3"]);
    expect(findLoader("uefi", { arch: "x86_64", type: "q35" }, host.dirs).code).toBe(mine.code);
  });

  test("no match is E_MISSING_FIRMWARE naming the package", async () => {
    const host = await hostLike();
    let error: unknown;
    try {
      findLoader("uefi-secure", { arch: "x86_64", type: "pc" }, host.dirs);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).code).toBe("E_MISSING_FIRMWARE");
    expect((error as DependencyError).hint).toContain("ovmf");
    expect(() => findLoader("uefi", { arch: "x86_64", type: "q35" }, [join(host.root, "none")])).toThrow(DependencyError);
  });

  test("this host's ovmf package: 4M builds, Microsoft keys for Secure Boot", () => {
    expect(findLoader("uefi", { arch: "x86_64", type: "q35" })).toEqual({ code: "/usr/share/OVMF/OVMF_CODE_4M.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd", secure: false });
    expect(findLoader("uefi-secure", { arch: "x86_64", type: "q35" })).toEqual({ code: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", secure: true });
  });
});
