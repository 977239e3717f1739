import { connect } from "../../lib/libvirt/virsh.ts";
import { revertSnapshot } from "../../lib/instance/revert-snapshot.ts";
import { defineAction, globalArgs } from "../_action.ts";
import { powerWait, waitArgs } from "../_instance-args.ts";
import { snapshotArgs } from "./_args.ts";

export default defineAction({
  group: "snapshot",
  meta: { name: "revert", description: "Go back to a snapshot; a running instance without the snapshot's memory is powered off, reverted and booted" },
  args: { ...snapshotArgs, ...waitArgs, ...globalArgs },
  // Waits as start does: --timeout and --wait over the timeout and wait settings.
  run: async (args, globals) => revertSnapshot(connect(globals.uri), globals.dataDir, args.name, args.snapshot, await powerWait(args, globals)),
  human: (r) => `${r.instance}: reverted to "${r.snapshot.name}", ${r.state}${r.ready ? ` at ${r.ready.ip}` : ""}`,
});
