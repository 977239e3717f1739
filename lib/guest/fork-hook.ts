import FORK_HOOK from "./fork-hook.sh" with { type: "text" };
import type { CloudConfig } from "./user-data.ts";

/** What the hook writes on the serial console once the fork's network is up (`log "network on …"`). */
export const FORK_NETWORK_UP = "TESTCLOUD-FORK: network on";

/** Where a template's seed installs the hook (lib/guest/fork-hook.sh) in the guest. */
export const FORK_HOOK_PATH = "/usr/local/sbin/testcloud-fork";

// udev runs the hook through systemd: RUN programs are killed when the event is handled. A
// start while the (oneshot) hook runs joins it: the running hook waits for the NIC itself.
const START_HOOK = `RUN+="/bin/systemctl --no-block start testcloud-fork.service"`;
const UDEV_RULE = [
  `ACTION=="change", ENV{NEW_VMGENID}=="1", ${START_HOOK}`,
  `ACTION=="add", SUBSYSTEM=="net", KERNEL!="lo", ${START_HOOK}`,
  "",
].join("\n");

const SYSTEMD_UNIT = `[Unit]
Description=testcloud: give a guest restored from a template its own identity

[Service]
Type=oneshot
ExecStart=${FORK_HOOK_PATH}
`;

// Without systemd (busybox guests), busybox's uevent runs the hook for each kernel event.
// The fw_cfg driver is loaded in the template (where udev does not load it), so that a
// fork's hook finds its identity without a module load first.
const START = `if [ -d /run/systemd/system ]; then systemctl daemon-reload && udevadm control --reload-rules; else modprobe qemu_fw_cfg 2>/dev/null; setsid uevent ${FORK_HOOK_PATH} </dev/null >/dev/null 2>&1 & fi`;

/**
 * The cloud-config a template's seed adds to ours: the hook, and what runs it when the VM
 * generation changes or a NIC appears (a udev rule and a systemd unit, or busybox's uevent
 * listener).
 */
export function forkHookConfig(): CloudConfig {
  return {
    write_files: [
      { path: FORK_HOOK_PATH, permissions: "0755", content: FORK_HOOK },
      { path: "/etc/udev/rules.d/90-testcloud-fork.rules", permissions: "0644", content: UDEV_RULE },
      { path: "/etc/systemd/system/testcloud-fork.service", permissions: "0644", content: SYSTEMD_UNIT },
    ],
    runcmd: [["sh", "-c", START]],
  };
}
