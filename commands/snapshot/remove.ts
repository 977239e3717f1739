import { connect } from "../../lib/libvirt/virsh.ts";
import { removeSnapshot } from "../../lib/instance/remove-snapshot.ts";
import { defineAction, globalArgs } from "../_action.ts";
import { snapshotArgs } from "./_args.ts";

export default defineAction({
  group: "snapshot",
  meta: { name: "remove", description: "Delete a snapshot; the instance stays as it is" },
  args: { ...snapshotArgs, ...globalArgs },
  run: (args, globals) => removeSnapshot(connect(globals.uri), globals.dataDir, args.name, args.snapshot),
  human: (r) => `${r.instance}: snapshot "${r.snapshot.name}" removed`,
});
