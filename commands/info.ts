import { connect } from "../lib/libvirt/virsh.ts";
import { instanceInfo } from "../lib/instance/instance-info.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { formatInstance } from "./_format.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "info", description: "Show one instance: state, address, user, key and paths" },
  args: { ...nameArg, ...globalArgs },
  run: (args, globals) => instanceInfo(connect(globals.uri), globals.dataDir, args.name),
  human: formatInstance,
});
