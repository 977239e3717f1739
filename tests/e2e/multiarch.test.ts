// Guests of other architectures on this x86_64 host, emulated (TCG): the tiny image built
// for aarch64 (UEFI: AAVMF, shim, GRUB), ppc64le (SLOF, GRUB in a PReP partition) and s390x
// (s390-ccw, a zipl boot record) boots to a verified ssh login, and every verb works on it.
// One VM at a time; each boot takes 20-60 s here.
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, leftBehind, NETWORK, testImage, uniqueName, type ForeignTiny } from "./_env.ts";

const VM = 900_000;

/** create → ssh `uname -m` → console log → shutdown → start → reboot → remove, with the state each verb reports. */
async function lifecycle(kind: ForeignTiny, arch: string, network: string, firmwareMarker: string): Promise<void> {
  const name = uniqueName(arch.replace("_", ""));
  const created = await cli(["create", testImage(kind), "--arch", arch, "--name", name, "--network", network, "--ram", "512", "--json"]);
  expect(created.json?.error ?? null).toBeNull();
  expect(created.exitCode).toBe(0);
  expect(created.json).toMatchObject({ name, state: "running", network });

  const info = await cli(["info", name, "--json"]);
  expect(info.json.machine).toMatchObject({ arch, virtType: "qemu" });

  const uname = await cli(["ssh", name, "--", "uname", "-m"]);
  expect({ exitCode: uname.exitCode, stdout: uname.stdout.trim() }).toEqual({ exitCode: 0, stdout: arch });

  const log = await cli(["console", name, "--log"]);
  expect(log.stdout).toContain(`TESTCLOUD-TINY: firmware: ${firmwareMarker}`);
  expect(log.stdout).toContain("TESTCLOUD-TINY: boot finished");

  // The architecture's power-off request: ACPI (aarch64), an EPOW event (ppc64le), SCLP's signal quiesce (s390x).
  const shutdown = await cli(["shutdown", name, "--json"]);
  expect(shutdown.json).toMatchObject({ name, state: "shut off", forced: false });

  const started = await cli(["start", name, "--json"]);
  expect(started.exitCode).toBe(0);
  expect(started.json).toMatchObject({ name, state: "running", ready: { ip: expect.any(String) } });
  expect((await cli(["ssh", name, "--", "uname", "-m"])).stdout.trim()).toBe(arch);

  const rebooted = await cli(["reboot", name, "--json"]);
  expect(rebooted.exitCode).toBe(0);
  expect(rebooted.json.ready).toMatchObject({ ip: expect.any(String) });

  expect((await cli(["remove", name, "--force", "--json"])).json).toEqual({ name, removedDomain: true, removedFiles: true });
  expect(await leftBehind(name)).toEqual([]);
}

describe("guests of other architectures under TCG", () => {
  test("aarch64 (virt, UEFI) on a libvirt network: ssh prints aarch64; shutdown, start, reboot, remove work", () => lifecycle("tiny-aarch64", "aarch64", NETWORK, "uefi (secure boot off)"), VM);

  test("ppc64le (pseries, SLOF) in user mode: ssh prints ppc64le; shutdown, start, reboot, remove work", () => lifecycle("tiny-ppc64le", "ppc64le", "user", "slof"), VM);

  test("s390x (s390-ccw-virtio) in user mode: ssh prints s390x; shutdown, start, reboot, remove work", () => lifecycle("tiny-s390x", "s390x", "user", "s390-ccw"), VM);

  test("s390x on a libvirt network (its NIC is libvirt's, on CCW): waits 900 s by default; ssh prints s390x over the lease's address", async () => {
    const name = uniqueName("s390xnet");
    const created = await cli(["create", testImage("tiny-s390x"), "--arch", "s390x", "--name", name, "--network", NETWORK, "--ram", "512"]);
    expect({ exitCode: created.exitCode, stderr: created.stderr }).toMatchObject({ exitCode: 0, stderr: expect.stringContaining("(s390x, TCG), waiting for ssh (timeout 900 s)") });
    const info = await cli(["info", name, "--json"]);
    expect(info.json).toMatchObject({ name, state: "running", network: NETWORK, ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
    const uname = await cli(["ssh", name, "--", "uname", "-m"]);
    expect({ exitCode: uname.exitCode, stdout: uname.stdout.trim() }).toEqual({ exitCode: 0, stdout: "s390x" });
    expect((await cli(["remove", name, "--force", "--json"])).json).toEqual({ name, removedDomain: true, removedFiles: true });
    expect(await leftBehind(name)).toEqual([]);
  }, VM);
});

describe("the architecture an image is known by", () => {
  test("an image booted as aarch64 is refused as another architecture's, naming the one it is for", async () => {
    const name = uniqueName("archknown");
    const image = testImage("tiny-aarch64");
    // Cheap: --no-wait, then removed at once; the cache now knows the file as aarch64.
    expect((await cli(["create", image, "--arch", "aarch64", "--name", name, "--network", NETWORK, "--no-wait"])).exitCode).toBe(0);
    expect((await cli(["remove", name, "--force"])).exitCode).toBe(0);
    for (const arch of ["x86_64", "s390x"]) {
      const refused = await cli(["create", image, "--arch", arch, "--name", uniqueName("archwrong"), "--network", NETWORK, "--json"]);
      expect(refused.exitCode).toBe(2);
      expect(refused.json.error).toMatchObject({ code: "E_ARCH_MISMATCH", hint: expect.stringContaining("--arch aarch64") });
    }
  }, VM);

  test("a missing emulator is a missing dependency naming its Debian package", async () => {
    const bin = join(scratchDir("tce2e-arch-"), "bin");
    mkdirSync(bin);
    for (const tool of ["virsh", "qemu-img", "ssh", "ssh-keygen", "qemu-system-x86_64"]) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const result = await cli(["create", testImage("tiny-aarch64"), "--arch", "aarch64", "--name", uniqueName("noemu"), "--network", NETWORK, "--json"], { PATH: bin });
    expect(result.exitCode).toBe(3);
    expect(result.json.error).toMatchObject({ code: "E_MISSING_TOOL", message: expect.stringContaining("qemu-system-aarch64"), hint: "apt-get install qemu-system-arm qemu-efi-aarch64" });
  });
});
