// The hardware users test on, proven from inside real guests: UEFI, TPM 2.0, extra disks
// by serial, several NICs, virtiofs shares (read-write and read-only), Secure Boot.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../lib/host/run.ts";
import { scratchDir } from "../_helpers.ts";
import { BIN, cli, dataDir, leftBehind, NETWORK, readUntil, testImage, uniqueName, URI } from "./_env.ts";

function hostDir(files: Record<string, string> = {}): string {
  const dir = scratchDir("tce2e-share-");
  chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const ssh = async (name: string, script: string) => {
  const result = await cli(["ssh", name, "--", script]);
  return { code: result.exitCode, out: result.stdout.trim(), err: result.stderr.trim() };
};

/** What is left of an instance outside its directory: swtpm state, virtiofsd processes. */
async function outsideLeftovers(uuid: string, dirs: string[]): Promise<string[]> {
  const left: string[] = [];
  if (existsSync(`/var/lib/libvirt/swtpm/${uuid}`)) left.push(`TPM state of ${uuid}`);
  const ps = (await run(["ps", "-eo", "args"])).stdout.split("\n");
  for (const dir of dirs) if (ps.some((l) => l.includes("virtiofsd") && l.includes(dir))) left.push(`virtiofsd for ${dir}`);
  return left;
}

// TPM2_GetRandom(8): tag 0x8001, size 12, command code 0x17b. A TPM 2.0 answers with
// tag 0x8001, size 20, response code 0 (success), then 2 + 8 bytes.
// /dev/tpm0 is root's: through sudo.
const TPM2_GET_RANDOM = String.raw`sudo sh -c "exec 3<>/dev/tpm0; printf '\200\001\000\000\000\014\000\000\001\173\000\010' >&3; dd bs=20 count=1 <&3 2>/dev/null" | od -An -tx1 | head -1`;

describe("the tiny image with every device option", () => {
  test("UEFI, a TPM 2.0 that answers, two disks by serial and size, two NICs with addresses, a shared and a read-only folder", async () => {
    const name = uniqueName("hw");
    const share = hostDir({ "from-host.txt": "written on the host\n" });
    const docs = hostDir({ "readme.txt": "read me\n" });
    const created = await cli([
      // OVMF leaves GRUB too little of 256 MiB to load the kernel.
      "create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "512",
      "--firmware", "uefi", "--tpm",
      "--disk", "1G,serial=data1", "--disk", "512M,bus=nvme,serial=fast1",
      "--nic", NETWORK, "--share", `${share}:hostshare`, "--share", `${docs}:docs:ro`, "--json",
    ]);
    expect({ exitCode: created.exitCode, error: created.json?.error }).toEqual({ exitCode: 0, error: undefined });
    expect(created.json.machine).toMatchObject({ firmware: "uefi", tpm: true, disks: [{ serial: "data1" }, { serial: "fast1", bus: "nvme" }] });

    expect((await ssh(name, "test -d /sys/firmware/efi && echo uefi")).out).toBe("uefi");
    expect((await ssh(name, TPM2_GET_RANDOM)).out).toStartWith("80 01 00 00 00 14 00 00 00 00");
    // Each block device with its serial (virtio: block/serial, NVMe: the controller's) and its size in bytes.
    const disks = await ssh(name, "for d in /sys/block/vd* /sys/block/nvme*; do echo $(cat $d/serial $d/device/serial 2>/dev/null) $(( $(cat $d/size) * 512 )); done");
    expect(disks.out.split("\n")).toEqual(expect.arrayContaining(["data1 1073741824", "fast1 536870912"]));
    // The second NIC asks DHCP after the first has its address: give it a few seconds.
    const addresses = (await ssh(name, "for i in $(seq 30); do [ $(ip -4 -o addr show | grep -c ' eth') -ge 2 ] && break; sleep 1; done; ip -4 -o addr show | grep -v ' lo '")).out.split("\n");
    expect(addresses.map((l) => l.split(/\s+/)[1])).toEqual(["eth0", "eth1"]);
    expect(addresses.every((l) => /inet 192\.168\.251\.\d+\//.test(l))).toBe(true);

    expect((await ssh(name, "cat /mnt/hostshare/from-host.txt")).out).toBe("written on the host");
    // The shared directory is root's on the host, and virtiofs keeps uids: write as root.
    expect((await ssh(name, "echo written in the guest | sudo tee /mnt/hostshare/from-guest.txt >/dev/null")).code).toBe(0);
    expect(readFileSync(join(share, "from-guest.txt"), "utf8")).toBe("written in the guest\n");
    expect((await ssh(name, "cat /mnt/docs/readme.txt")).out).toBe("read me");
    // Even root cannot write a read-only share: the host serves it from a read-only mount.
    // The guest's own mount is read-only; remounted read-write, the host still refuses.
    const write = await ssh(name, "sudo mount -o remount,rw /mnt/docs && echo x | sudo tee /mnt/docs/new.txt");
    expect(write.code).not.toBe(0);
    expect(write.err).toMatch(/Read-only file system/i);
    expect(readdirSync(docs)).toEqual(["readme.txt"]);

    const uuid = JSON.parse(readFileSync(join(dataDir, "instances", name, "instance.json"), "utf8")).uuid;
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
    expect(await outsideLeftovers(uuid, [share, docs])).toEqual([]);
  }, 300_000);

  test("kill -9 once the machine's files exist and it runs: clean leaves no domain, directory, TPM state or virtiofsd", async () => {
    const name = uniqueName("hwkill");
    const share = hostDir();
    const proc = Bun.spawn([BIN, "--connect", URI, "create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "512", "--firmware", "uefi", "--tpm", "--disk", "64M", "--share", `${share}:s:ro`], {
      env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_TEST_PAUSE: "started" },
      stderr: "pipe",
      stdout: "ignore",
    });
    const reader = proc.stderr.getReader();
    await readUntil(reader, "test pause at started");
    const uuid = JSON.parse(readFileSync(join(dataDir, "instances", name, "instance.json"), "utf8")).uuid;
    expect(existsSync(join(dataDir, "instances", name, "nvram.fd"))).toBe(true);
    expect(await outsideLeftovers(uuid, [share])).toEqual([`TPM state of ${uuid}`, `virtiofsd for ${share}`]);
    proc.kill("SIGKILL");
    await proc.exited;
    expect((await cli(["clean"])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
    expect(await outsideLeftovers(uuid, [share])).toEqual([]);
  }, 120_000);
});

describe("an image that cannot boot the way asked fails at once, with a hint", () => {
  // An empty disk has no bootloader for either firmware.
  const cases: [string, string, string][] = [
    ["bios", "no bootable device under BIOS", "try --firmware uefi"],
    ["uefi", "no bootable device under UEFI", "try --firmware bios"],
  ];
  test.each(cases)("--firmware %s", async (firmware, message, hint) => {
    const empty = join(scratchDir("tce2e-empty-"), "empty.qcow2");
    await run(["qemu-img", "create", "-q", "-f", "qcow2", empty, "64M"]);
    const name = uniqueName(`noboot-${firmware}`);
    const started = performance.now();
    const result = await cli(["create", empty, "--name", name, "--network", NETWORK, "--ram", "256", "--firmware", firmware, "--timeout", "600", "--json"]);
    expect(result.json.error).toMatchObject({ code: "E_BOOT_FAILED", message: expect.stringContaining(message), hint: expect.stringContaining(hint) });
    expect(result.json.error.detail.length).toBeGreaterThan(0);
    // Well before the 600 s timeout.
    expect(performance.now() - started).toBeLessThan(120_000);
    expect(await leftBehind(name)).toEqual([]);
  }, 180_000);
});

describe("Secure Boot on the Debian image (signed shim, grub and kernel)", () => {
  test("--firmware uefi-secure: the guest reports Secure Boot enabled", async () => {
    const name = uniqueName("secboot");
    const created = await cli(["create", testImage("debian"), "--name", name, "--network", NETWORK, "--firmware", "uefi-secure", "--timeout", "900", "--json"]);
    expect({ exitCode: created.exitCode, error: created.json?.error }).toEqual({ exitCode: 0, error: undefined });
    // The SecureBoot variable: 4 attribute bytes, then 1 when enabled.
    const variable = await ssh(name, "od -An -tu1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c");
    expect(variable.out.split(/\s+/).at(-1)).toBe("1");
    expect((await ssh(name, "sudo dmesg | grep -i 'secure boot'")).out).toMatch(/Secure boot enabled/i);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 900_000);
});
