import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig } from "../../lib/host/config.ts";
import { parseDiskSpec, parseForwardSpec, parseShareSpec } from "../../lib/host/_machine-settings.ts";
import { usageFailure, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("parseDiskSpec", () => {
  const good: [string, object][] = [
    ["1G", { sizeBytes: 2 ** 30, serial: "", bus: "virtio" }],
    ["512M,serial=fast1,bus=nvme", { sizeBytes: 2 ** 29, serial: "fast1", bus: "nvme" }],
    ["2G,bus=scsi,serial=a.b_c-d", { sizeBytes: 2 * 2 ** 30, serial: "a.b_c-d", bus: "scsi" }],
  ];
  test.each(good)("%p", (spec, disk) => expect(parseDiskSpec(spec)).toEqual(disk as never));

  const bad = ["", "0", "-1G", "big", "1G,bus=ide", "1G,serial=", "1G,serial=has space", "1G,serial=" + "x".repeat(21), "1G,colour=red", "1G,bus"];
  test.each(bad)("refuses %p", (spec) => expect(parseDiskSpec(spec)).toBeUndefined());
});

describe("parseShareSpec", () => {
  const good: [string, object][] = [
    ["/srv/data", { hostDir: "/srv/data", tag: "data", readonly: false }],
    ["/srv/data/", { hostDir: "/srv/data/", tag: "data", readonly: false }],
    ["/srv/data:hostshare", { hostDir: "/srv/data", tag: "hostshare", readonly: false }],
    ["/srv/data:hostshare:ro", { hostDir: "/srv/data", tag: "hostshare", readonly: true }],
    ["/srv/data:ro", { hostDir: "/srv/data", tag: "data", readonly: true }],
  ];
  test.each(good)("%p", (spec, share) => expect(parseShareSpec(spec)).toEqual(share as never));

  const bad = ["", "relative/dir", "/srv/data:has space", "/srv/data:a:b:ro", "/:", "/srv/da ta", "/srv/data:tag:rw"];
  test.each(bad)("refuses %p", (spec) => expect(parseShareSpec(spec)).toBeUndefined());
});

describe("parseForwardSpec", () => {
  const good: [string, object][] = [
    ["8080:80", { proto: "tcp", hostAddr: "127.0.0.1", hostPort: 8080, guestPort: 80 }],
    ["0:80", { proto: "tcp", hostAddr: "127.0.0.1", hostPort: 0, guestPort: 80 }],
    ["192.168.1.5:5353:53/udp", { proto: "udp", hostAddr: "192.168.1.5", hostPort: 5353, guestPort: 53 }],
    ["localhost:2222:22/tcp", { proto: "tcp", hostAddr: "127.0.0.1", hostPort: 2222, guestPort: 22 }],
  ];
  test.each(good)("%p", (spec, forward) => expect(parseForwardSpec(spec)).toEqual(forward as never));

  const bad = ["", "80", "8080:0", "8080:65536", "70000:80", "a:b", "1.2.3:80:80", "300.1.1.1:80:80", "8080:80/sctp", "[::1]:8080:80", "8080:80,hostfwd=tcp::22-:22"];
  test.each(bad)("refuses %p", (spec) => expect(parseForwardSpec(spec)).toBeUndefined());
});

describe("machine settings through the config layers", () => {
  async function load(toml: string, env: NodeJS.ProcessEnv = {}, flags: Record<string, unknown> = {}) {
    const path = join(await tempDir(), "config.toml");
    await writeFile(path, toml);
    return (await loadConfig({ files: [path], env, uid: 0, flags: flags as never })).settings;
  }

  test("defaults: the host's arch with its machine type and firmware (auto), cpu auto, no TPM, no extra devices", async () => {
    expect(await load("")).toMatchObject({ arch: "auto", machine: "auto", firmware: "auto", cpu: "auto", tpm: false, disk: [], nic: [], share: [] });
  });

  test("arch takes Debian's names too, from a file or a variable", async () => {
    expect((await load('arch = "arm64"\n')).arch).toBe("aarch64");
    expect((await load("", { TESTCLOUD_ARCH: "ppc64el" })).arch).toBe("ppc64le");
  });

  test("a config file sets lists with TOML arrays in the flags' syntax", async () => {
    const s = await load('firmware = "uefi"\ntpm = true\ndisk = ["1G,serial=data1", "512M,bus=nvme"]\nnic = ["testcloud-test"]\nshare = ["/srv:hostshare:ro"]\n');
    expect(s.firmware).toBe("uefi");
    expect(s.tpm).toBe(true);
    expect(s.disk).toEqual([{ sizeBytes: 2 ** 30, serial: "data1", bus: "virtio" }, { sizeBytes: 2 ** 29, serial: "", bus: "nvme" }]);
    expect(s.nic).toEqual(["testcloud-test"]);
    expect(s.share).toEqual([{ hostDir: "/srv", tag: "hostshare", readonly: true }]);
  });

  test("TESTCLOUD_DISK separates items with ';', and a list comes whole from the highest layer", async () => {
    const s = await load('disk = ["1G", "2G"]\n', { TESTCLOUD_DISK: "3G,serial=x; 4G" });
    expect(s.disk.map((d) => d.sizeBytes / 2 ** 30)).toEqual([3, 4]);
    const flagged = await load('disk = ["1G"]\n', {}, { disk: ["5G"] });
    expect(flagged.disk.map((d) => d.sizeBytes / 2 ** 30)).toEqual([5]);
  });

  const refused: [string, string, string][] = [
    ["an unknown firmware", 'firmware = "coreboot"', '"firmware" must be one of "auto", "bios", "uefi", "uefi-secure"'],
    ["an unknown machine type", 'machine = "microvm"', '"machine" must be one of "auto", "q35", "pc", "virt", "pseries", "s390-ccw-virtio"'],
    ["an unknown architecture", 'arch = "sparc"', '"arch" must be "auto" or one of x86_64, aarch64, ppc64le, s390x'],
    ["a disk with an unknown bus", 'disk = ["1G,bus=ide"]', '"disk" must be a list of SIZE[,serial=S][,bus=virtio|scsi|nvme]'],
    ["a share with a relative directory", 'share = ["data:tag"]', '"share" must be a list of HOSTDIR[:TAG][:ro]'],
    ["a disk that is not a list", 'disk = "1G"', '"disk" must be a list of'],
    ["a CPU model with a space", 'cpu = "Sky lake"', '"cpu" must be a QEMU CPU model'],
  ];
  test.each(refused)("%s is E_CONFIG", async (_label, toml, message) => {
    const error = await usageFailure(() => load(toml));
    expect(error.code).toBe("E_CONFIG");
    expect(error.message).toContain(message);
  });

  test("a bad --disk flag names the flag", async () => {
    const error = await usageFailure(() => load("", {}, { disk: ["0"] }));
    expect(error.message).toStartWith('Invalid --disk: ["0"]: must be a list of SIZE');
  });
});
