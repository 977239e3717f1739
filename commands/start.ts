import { eventWriter } from "./_events.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { startInstance } from "../lib/instance/power.ts";
import { powerAndWait } from "../lib/instance/power-and-wait.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, powerWait, waitArgs } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "start", description: "Start a stopped instance and wait until ssh works" },
  args: { ...nameArg, ...waitArgs, ...globalArgs },
  async run(args, globals) {
    const wait = await powerWait(args, globals);
    const conn = connect(globals.uri);
    return powerAndWait(conn, globals.dataDir, args.name, () => startInstance(conn, globals.dataDir, args.name), { ...wait, onEvent: globals.events ? eventWriter() : undefined });
  },
  human: (r) => `${r.name}: ${r.state}${r.ready ? ` at ${r.ready.ip}` : ""}`,
});
