import { connect } from "../lib/libvirt/virsh.ts";
import { stopInstance } from "../lib/instance/power.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "stop", description: "Power an instance off at once (hard); see shutdown for a graceful stop" },
  args: { ...nameArg, ...globalArgs },
  run: (args, globals) => stopInstance(connect(globals.uri), globals.dataDir, args.name),
  human: (r) => `${r.name}: ${r.state}`,
});
