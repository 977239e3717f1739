import { connect } from "../lib/libvirt/virsh.ts";
import { cleanInstances, type Cleaned } from "../lib/instance/clean-instances.ts";
import { defineAction, globalArgs } from "./_action.ts";

export default defineAction({
  meta: { name: "clean", description: "Drop leftovers: directories whose domain is gone or whose create was killed, testcloud domains whose directory is gone, unfinished downloads" },
  args: { ...globalArgs },
  run: (_args, globals) => cleanInstances(connect(globals.uri), globals.dataDir, globals.imageDir),
  human: (list: Cleaned[]) => list.map((c) => `removed ${c.removed} of ${c.name}: ${c.reason}`).join("\n"),
});
