import { sshArgv } from "../host/ssh.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";
import { sshTarget } from "./describe.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

// QEMU saves a zero page as a flag, any other page whole, and memory the guest freed keeps
// whatever it held: filling the free memory with zeros once (a tmpfs file, then gone)
// shrinks the template's saved state, and every fork's restore reads less. The page cache
// stays: forks would read it back from disk. 64 MiB stay free for the kernel.
const SCRIPT = [
  "m=$(mktemp -d) || exit 0",
  'if mount -t tmpfs -o size=100% tczero "$m"; then',
  '  n=$(awk "/^MemFree:/ { print int(\\$2 / 1024) - 64 }" /proc/meminfo)',
  '  [ "${n:-0}" -gt 0 ] && dd if=/dev/zero of="$m/zero" bs=1M count="$n" 2>/dev/null',
  '  umount "$m"',
  "fi",
  'rmdir "$m"',
].join("\n");

/** Zeroes the guest's free memory before the template is saved; best effort (a failure only costs size). */
export async function zeroFreeMemory(record: InstanceRecord, paths: InstancePaths, ip: string, run: Runner = defaultRun): Promise<void> {
  const argv = sshArgv(sshTarget(record, paths, ip), [`sudo -n sh -c '${SCRIPT}'`], ["-T", "-o", "BatchMode=yes"]);
  await run(argv, { allowFailure: true, timeoutMs: 60_000 });
}
