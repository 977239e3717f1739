import { connect } from "../lib/libvirt/virsh.ts";
import { resetInstance } from "../lib/instance/power.ts";
import { powerAndWait } from "../lib/instance/power-and-wait.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, powerWait, waitArgs } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "reset", description: "Hard-reset a running instance and wait until ssh works again" },
  args: { ...nameArg, ...waitArgs, ...globalArgs },
  async run(args, globals) {
    const wait = await powerWait(args, globals);
    const conn = connect(globals.uri);
    return powerAndWait(conn, globals.dataDir, args.name, () => resetInstance(conn, globals.dataDir, args.name), wait);
  },
  human: (r) => `${r.name}: reset${r.ready ? `, ready at ${r.ready.ip}` : ""}`,
});
