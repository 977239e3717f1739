import { connect } from "../../lib/libvirt/virsh.ts";
import { createSnapshot } from "../../lib/instance/create-snapshot.ts";
import { defineAction, globalArgs } from "../_action.ts";
import { snapshotArgs } from "./_args.ts";

export default defineAction({
  group: "snapshot",
  meta: { name: "create", description: "Snapshot an instance: its disks, and its memory while it runs" },
  args: { ...snapshotArgs, ...globalArgs },
  run: (args, globals) => createSnapshot(connect(globals.uri), globals.dataDir, args.name, args.snapshot),
  human: (r) => `${r.instance}: snapshot "${r.snapshot.name}" created (${r.snapshot.memory ? "disks and memory" : "disks only"})`,
});
