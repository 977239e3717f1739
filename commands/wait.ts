import { connect } from "../lib/libvirt/virsh.ts";
import { waitInstance } from "../lib/instance/wait-instance.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg, seconds } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "wait", description: "Wait until a running instance answers ssh (or cloud-init has finished)" },
  args: {
    ...nameArg,
    for: { type: "enum", options: ["ssh", "cloud-init"], description: "What to wait for", default: "ssh" },
    timeout: { type: "string", description: "Seconds to wait", default: "300" },
    ...globalArgs,
  },
  run: (args, globals) =>
    waitInstance(connect(globals.uri), globals.dataDir, args.name, {
      for: args.for as "ssh" | "cloud-init",
      timeoutS: seconds(args.timeout),
      signal: globals.signal,
    }),
  human: (r) => `${r.name}: ready at ${r.ip} after ${(r.readyMs / 1000).toFixed(1)} s${r.cloudInit ? ` (cloud-init ${r.cloudInit})` : ""}`,
});
