import { connect } from "../lib/libvirt/virsh.ts";
import { renderSshConfig } from "../lib/instance/ssh-config.ts";
import { resolveSshTarget } from "../lib/instance/ssh-target.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "ssh-config", description: "Print a Host block for ~/.ssh/config, so plain ssh/scp/rsync reach the instance" },
  args: { ...nameArg, ...globalArgs },
  async run(args, globals) {
    const target = await resolveSshTarget(connect(globals.uri), globals.dataDir, args.name);
    const host = `testcloud-${args.name}`;
    return { name: args.name, host, config: renderSshConfig(host, target) };
  },
  human: (r) => r.config,
});
