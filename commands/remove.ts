import { connect } from "../lib/libvirt/virsh.ts";
import { removeInstance, type RemoveResult } from "../lib/instance/remove-instance.ts";
import { defineAction, globalArgs } from "./_action.ts";

export default defineAction({
  meta: { name: "remove", description: "Remove an instance: its domain and all its files" },
  args: {
    name: { type: "positional", description: "Instance name", required: true },
    force: { type: "boolean", alias: "f", description: "Stop the instance first if it is running" },
    ...globalArgs,
  },
  run: (args, globals) => removeInstance(connect(globals.uri), globals.dataDir, args.name, { force: args.force }),
  human: (r: RemoveResult) => `removed ${r.name}`,
});
