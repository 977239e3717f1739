import { connect } from "../lib/libvirt/virsh.ts";
import { shutdownInstance } from "../lib/instance/power.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, shutdownSeconds } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "shutdown", description: "Shut an instance down gracefully (ACPI) and wait until it is off" },
  args: {
    ...nameArg,
    // No citty default: an absent flag lets the shutdownTimeout setting decide.
    timeout: { type: "string", description: "Seconds to wait for the guest to power off (default: the shutdownTimeout setting, 120)" },
    force: { type: "boolean", description: "Power off hard when the timeout passes" },
    ...globalArgs,
  },
  async run(args, globals) {
    return shutdownInstance(connect(globals.uri), globals.dataDir, args.name, {
      timeoutS: await shutdownSeconds(args.timeout, globals),
      force: args.force,
      signal: globals.signal,
    });
  },
  human: (r) => `${r.name}: ${r.state}${r.forced ? " (forced)" : ""}`,
});
