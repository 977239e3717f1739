import { connect } from "../lib/libvirt/virsh.ts";
import { waitInstance } from "../lib/instance/wait-instance.ts";
import { commandConfig, defineAction, globalArgs } from "./_action.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "wait", description: "Wait until a running instance answers ssh (or cloud-init has finished)" },
  args: {
    ...nameArg,
    for: { type: "enum", options: ["ssh", "cloud-init"], description: "What to wait for", default: "ssh" },
    // No citty default: an absent flag lets the timeout setting decide.
    timeout: { type: "string", description: "Seconds to wait (default: the timeout setting, 300; 900 for a guest of another architecture)" },
    ...globalArgs,
  },
  async run(args, globals) {
    const config = await commandConfig(globals, { timeout: args.timeout });
    const s = config.settings;
    return waitInstance(connect(globals.uri), globals.dataDir, args.name, {
      for: args.for as "ssh" | "cloud-init",
      timeoutS: s.timeout,
      defaultTimeout: config.origins.timeout === "default",
      sshConnectTimeoutS: s.sshConnectTimeout,
      signal: globals.signal,
    });
  },
  human: (r) => `${r.name}: ready at ${r.ip} after ${(r.readyMs / 1000).toFixed(1)} s${r.cloudInit ? ` (cloud-init ${r.cloudInit})` : ""}`,
});
