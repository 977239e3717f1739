import { UsageError } from "../errors.ts";
import { isLocalUri } from "./host-pool.ts";
import type { InstanceRecord } from "./state.ts";

/**
 * What an instance on another host cannot have yet: everything that is still a file in the
 * instance directory here (UEFI variables, extra disks, an Ignition config, read-only share
 * wrappers) or a directory of this machine (shares), or state libvirt keeps per host (TPM).
 */
export function checkRemoteMachine(record: InstanceRecord): void {
  if (isLocalUri(record.uri)) return;
  const m = record.machine;
  const refused = [
    m.firmware !== "bios" && `--firmware ${m.firmware}`,
    m.disks.length > 0 && "--disk",
    m.shares.length > 0 && "--share",
    m.tpm && "--tpm",
    record.provisioning === "ignition" && "Ignition (CoreOS images, --ignition)",
  ].filter(Boolean);
  if (refused.length === 0) return;
  throw new UsageError(`Not supported on a remote host yet: ${refused.join(", ")}`, {
    hint: "create it on qemu:///system, or leave these settings out",
  });
}
