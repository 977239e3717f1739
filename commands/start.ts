import { eventWriter } from "../lib/cli/events.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { startInstance } from "../lib/instance/power.ts";
import { powerAndWait } from "../lib/instance/power-and-wait.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, seconds, waitArgs, waitMode } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "start", description: "Start a stopped instance and wait until ssh works" },
  args: { ...nameArg, ...waitArgs, ...globalArgs },
  run(args, globals) {
    const conn = connect(globals.uri);
    return powerAndWait(conn, globals.dataDir, args.name, () => startInstance(conn, globals.dataDir, args.name), {
      for: waitMode(args.wait as string | boolean),
      timeoutS: seconds(args.timeout),
      signal: globals.signal,
      onEvent: globals.events ? eventWriter() : undefined,
    });
  },
  human: (r) => `${r.name}: ${r.state}${r.ready ? ` at ${r.ready.ip}` : ""}`,
});
