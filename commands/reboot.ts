import { eventWriter } from "./_events.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { shutdownInstance, startInstance } from "../lib/instance/power.ts";
import { powerAndWait } from "../lib/instance/power-and-wait.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, powerWait, shutdownSeconds, waitArgs } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "reboot", description: "Shut an instance down gracefully, start it again and wait until ssh works" },
  args: {
    ...nameArg,
    ...waitArgs,
    force: { type: "boolean", description: "Power off hard if the guest ignores the shutdown request" },
    ...globalArgs,
  },
  async run(args, globals) {
    const wait = await powerWait(args, globals);
    // The shutdown half waits as `shutdown` does: the shutdownTimeout setting.
    const shutdownTimeout = await shutdownSeconds(undefined, globals);
    const conn = connect(globals.uri);
    const power = async () => {
      await shutdownInstance(conn, globals.dataDir, args.name, { timeoutS: shutdownTimeout, force: args.force, signal: globals.signal });
      await startInstance(conn, globals.dataDir, args.name);
      return { name: args.name, state: "running", changed: true };
    };
    return powerAndWait(conn, globals.dataDir, args.name, power, { ...wait, onEvent: globals.events ? eventWriter() : undefined });
  },
  human: (r) => `${r.name}: rebooted${r.ready ? `, ready at ${r.ready.ip}` : ""}`,
});
