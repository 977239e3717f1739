import { chown, writeFile } from "node:fs/promises";
import { qemuUser } from "../host/qemu-user.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

/**
 * The files a machine needs beside its root disk and seed: its empty extra disks and the
 * wrappers of read-only shares. (The UEFI NVRAM copy and the TPM state are libvirt's to
 * make, at the first start.)
 */
export async function makeMachineFiles(record: InstanceRecord, paths: InstancePaths, options: { run?: Runner; system: boolean }): Promise<void> {
  const run = options.run ?? defaultRun;
  const { machine } = record;
  await Promise.all(
    machine.disks.map(async (disk, i) => {
      await run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", paths.disk(i), String(disk.sizeBytes)]);
      // An NVMe disk is a QEMU argument, which libvirt does not hand over to the QEMU
      // user as it does its own disks: give it to that user ourselves.
      if (disk.bus === "nvme" && options.system) {
        const { uid, gid } = qemuUser();
        await chown(paths.disk(i), uid, gid);
      }
    }),
  );
  for (const share of machine.shares.filter((s) => s.readonly)) {
    const helper = paths.shareHelper(share.tag);
    // The directory travels in a file of its own, never inside the script's text.
    await writeFile(`${helper}.dir`, share.hostDir, { mode: 0o600 });
    await writeFile(helper, READONLY_VIRTIOFSD, { mode: 0o700 });
  }
}

/**
 * libvirt runs this instead of virtiofsd for a read-only share (libvirt 9 cannot ask for
 * one): in a mount namespace of its own, the shared directory is bind-mounted read-only
 * onto itself, then the real virtiofsd serves it. Writes from the guest get EROFS; the
 * host sees no mount.
 */
const READONLY_VIRTIOFSD = `#!/bin/sh
# Written by testcloud: serves the directory named in "$0.dir" read-only.
set -eu
dir=$(cat "$0.dir")
for bin in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
  [ -x "$bin" ] && exec unshare --mount --propagation private -- /bin/sh -c 'mount --bind -o ro -- "$1" "$1" && bin=$2 && shift 2 && exec "$bin" "$@"' virtiofsd-ro "$dir" "$bin" "$@"
done
echo "testcloud: no virtiofsd found" >&2
exit 1
`;
