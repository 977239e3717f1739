// The tiny image has the drivers of the hardware users test on, and names disks the
// way udev does. One boot under QEMU with every such device; a user-data script reports
// what only the guest can see. No TPM here: that needs swtpm on the host (the TPM
// drivers are built into Debian's kernel).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSeed } from "../../lib/guest/write-seed.ts";
import { bootUntil } from "./_qemu-boot.ts";
import { testImage } from "./_env.ts";

// Under TCG on a busy 2-core host; ~12 s alone.
const TINY = 90_000;

describe("tiny image hardware", () => {
  test("drives an e1000 NIC, a virtiofs share, and names virtio, NVMe, SCSI and SATA disks by serial as udev does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "testcloud-hw-"));
    const socket = join(dir, "virtiofs.sock");
    const share = join(dir, "share");
    mkdirSync(share);
    writeFileSync(join(share, "hello.txt"), "hello from the host\n");
    await writeSeed(join(dir, "seed.iso"), {
      metaData: "instance-id: iid-hw\nlocal-hostname: hw\n",
      userData: [
        "#!/bin/sh",
        'say() { echo "HW-CHECK: $*" >/dev/console; }',
        "nic=$(cat /run/tiny/nic)",
        'say "nic $nic driver $(basename "$(readlink /sys/class/net/$nic/device/driver)") ip $(cat /run/tiny/ip)"',
        "mkdir -p /mnt/share",
        'if mount -t virtiofs share0 /mnt/share; then say "virtiofs $(cat /mnt/share/hello.txt)"; else say "virtiofs mount failed"; fi',
        "say end",
        "",
      ].join("\n"),
    });
    const daemon = Bun.spawn(["/usr/lib/qemu/virtiofsd", `--socket-path=${socket}`, "-o", `source=${share}`, "-o", "cache=none"], { stdout: "ignore", stderr: "ignore" });
    try {
      for (let i = 0; i < 100 && !existsSync(socket); i++) await Bun.sleep(50);
      const disk = (id: string, device: string) => [
        "-blockdev", `driver=null-co,node-name=${id},size=67108864,read-zeroes=on`, "-device", `${device},drive=${id},serial=tc-${id}`,
      ];
      const serial = await bootUntil({
        image: testImage("tiny"),
        firmware: "bios",
        until: /HW-CHECK: end/,
        timeoutMs: TINY,
        memoryMiB: 512,
        extra: [
          "-drive", `file=${join(dir, "seed.iso")},if=virtio,format=raw,readonly=on`,
          "-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
          "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
          "-chardev", `socket,id=fs0,path=${socket}`, "-device", "vhost-user-fs-pci,chardev=fs0,tag=share0",
          "-device", "virtio-scsi-pci,id=scsi0",
          ...disk("virtio", "virtio-blk-pci"), ...disk("nvme", "nvme"),
          ...disk("scsi", "scsi-hd,bus=scsi0.0"), ...disk("sata", "ide-hd,bus=ide.1"),
        ],
      });
      expect(serial).toContain("HW-CHECK: nic eth0 driver e1000 ip 10.0.2.15");
      expect(serial).toContain("HW-CHECK: virtiofs hello from the host");
      for (const link of ["virtio-tc-virtio", "nvme-QEMU_NVMe_Ctrl_tc-nvme", "nvme-QEMU_NVMe_Ctrl_tc-nvme_1", "scsi-0QEMU_QEMU_HARDDISK_tc-scsi", "ata-QEMU_HARDDISK_tc-sata"]) {
        expect(serial).toMatch(new RegExp(`TESTCLOUD-TINY: disk \\w+: by-id/${link} `));
      }
    } finally {
      daemon.kill("SIGKILL");
      await daemon.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, TINY + 10_000);
});
