import type { ArgsDef } from "citty";
import { nameArg } from "../_instance-args.ts";

/** NAME SNAPSHOT: the positionals of every snapshot verb but list. */
export const snapshotArgs = {
  ...nameArg,
  snapshot: { type: "positional", description: "Snapshot name: letters, digits, '.', '_', '-'", required: true },
} as const satisfies ArgsDef;
