import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readRecord } from "../../lib/instance/state.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("readRecord of a record written before the machine description", () => {
  test("reads ramMiB, vcpus, mac, network, diskSize and vnc as its machine", async () => {
    const dataDir = await tempDir();
    await mkdir(join(dataDir, "instances", "old"), { recursive: true });
    const old = {
      name: "old", uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607", uri: "qemu:///system", createdAt: "2026-11-25T22:10:33.000Z", user: "cloud-user",
      image: { source: "file:///x", digest: "ab", path: "/p" }, ramMiB: 256, vcpus: 1, virtType: "qemu", mac: "52:54:00:aa:bb:cc",
      network: { mode: "user", sshPort: 40022 }, diskSize: 0, vnc: true, provisioning: "nocloud",
    };
    await writeFile(join(dataDir, "instances", "old", "instance.json"), JSON.stringify(old));
    const record = await readRecord(dataDir, "old");
    expect(record).toEqual({
      name: "old", uuid: old.uuid, uri: old.uri, createdAt: old.createdAt, user: "cloud-user", image: old.image, provisioning: "nocloud",
      machine: {
        arch: "x86_64", type: "q35", firmware: "bios", virtType: "qemu", cpu: "auto", memoryMiB: 256, vcpus: 1, rootDiskSize: 0,
        // Before, user mode was always restricted: such an instance stays so.
        disks: [], nics: [{ network: "user", mac: "52:54:00:aa:bb:cc", sshPort: 40022 }], isolated: true, forwards: [], shares: [], tpm: false, graphics: "vnc",
      },
    });
  });
});
