import { connect } from "../lib/libvirt/virsh.ts";
import { resolveSshTarget } from "../lib/instance/ssh-target.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "ip", description: "Print the address (and ssh port) of a running instance" },
  args: { ...nameArg, ...globalArgs },
  async run(args, globals) {
    const target = await resolveSshTarget(connect(globals.uri), globals.dataDir, args.name);
    return { name: args.name, ip: target.host, sshPort: target.port };
  },
  human: (r) => r.ip,
});
