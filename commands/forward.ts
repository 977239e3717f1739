import { repeated } from "../lib/cli/machine-flags.ts";
import { forwardInstance, type ForwardResult } from "../lib/instance/forward-instance.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { forwardSpec } from "../lib/machine/machine.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "forward", description: "List the host ports forwarded to a user-mode instance, or add and remove some (at once if it runs)" },
  args: {
    ...nameArg,
    add: { type: "string", description: "Forward a host port to a guest port (repeatable; host port 0 picks a free one)", valueHint: "[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]" },
    remove: { type: "string", description: "Stop forwarding a host port (repeatable)", valueHint: "[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]" },
    ...globalArgs,
  },
  run: (args, globals, rawArgs) =>
    forwardInstance(connect(globals.uri), globals.dataDir, args.name, { add: repeated(rawArgs, "--add"), remove: repeated(rawArgs, "--remove") }),
  human: (r: ForwardResult) =>
    [...r.forwards.map((f) => forwardSpec(f)), ...(r.live ? [] : ["(not running: applies at the next start)"])].join("\n"),
});
