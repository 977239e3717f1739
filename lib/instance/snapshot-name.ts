import { UsageError } from "../errors.ts";

// Not starting with "-": virsh (and anyone reading its argv) would take it for an option.
const SNAPSHOT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

const HINT = "use 1-64 characters: letters, digits, '.', '_' and '-', not starting with '.' or '-'";

/** Checks a snapshot name: it goes on virsh's command line and into the qcow2 disks. */
export function validateSnapshotName(name: string): string {
  if (!SNAPSHOT_NAME.test(name)) {
    throw new UsageError(`Invalid snapshot name: ${JSON.stringify(name)}`, { code: "E_INVALID_SNAPSHOT_NAME", hint: HINT });
  }
  return name;
}
