import { repeated } from "../lib/cli/machine-flags.ts";
import { execSsh, inContext, parseEnvAssignments } from "../lib/host/ssh.ts";
import { execInstance } from "../lib/instance/exec-instance.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { resolveSshTarget } from "../lib/instance/ssh-target.ts";
import { defineAction, globalArgs } from "./_action.ts";

export default defineAction({
  meta: { name: "ssh", description: "Log in to an instance, or run a command after --; exits with its status" },
  args: {
    name: { type: "positional", description: "Instance name", required: true },
    env: { type: "string", description: "Set a variable for the remote command or login shell (repeatable)", valueHint: "NAME=VALUE" },
    workdir: { type: "string", description: "Run the remote command or login shell in this guest directory (fails if it does not exist)", valueHint: "DIR" },
    ...globalArgs,
  },
  async run(args, globals, rawArgs) {
    const env = parseEnvAssignments(repeated(rawArgs, "--env"));
    const conn = connect(globals.uri);
    const dashes = rawArgs.indexOf("--");
    const typed = dashes >= 0 ? rawArgs.slice(dashes + 1) : [];
    const command = inContext(typed, { env, workdir: args.workdir });
    if (globals.json) {
      // Scripts get the remote command's output and status as data.
      const result = await execInstance(conn, globals.dataDir, args.name, command, { signal: globals.signal });
      process.exitCode = result.exitCode;
      return result;
    }
    const target = await resolveSshTarget(conn, globals.dataDir, args.name);
    process.exitCode = await execSsh(target, command, typed.length === 0 && process.stdin.isTTY === true, globals.signal);
    return undefined;
  },
});
