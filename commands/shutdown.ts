import { connect } from "../lib/libvirt/virsh.ts";
import { shutdownInstance } from "../lib/instance/power.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, seconds } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "shutdown", description: "Shut an instance down gracefully (ACPI) and wait until it is off" },
  args: {
    ...nameArg,
    timeout: { type: "string", description: "Seconds to wait for the guest to power off", default: "120" },
    force: { type: "boolean", description: "Power off hard when the timeout passes" },
    ...globalArgs,
  },
  run: (args, globals) =>
    shutdownInstance(connect(globals.uri), globals.dataDir, args.name, {
      timeoutS: seconds(args.timeout),
      force: args.force,
      signal: globals.signal,
    }),
  human: (r) => `${r.name}: ${r.state}${r.forced ? " (forced)" : ""}`,
});
