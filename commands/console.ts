import { StateError, UsageError } from "../lib/errors.ts";
import { attachConsole, connect } from "../lib/libvirt/virsh.ts";
import { consoleLog } from "../lib/instance/console-log.ts";
import { loadInstance } from "../lib/instance/load-instance.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { nameArg } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "console", description: "Attach to the serial console (Ctrl-] detaches), or print its log with --log" },
  args: {
    ...nameArg,
    log: { type: "boolean", description: "Print the serial console log instead of attaching" },
    lines: { type: "string", description: "With --log: only the last N lines" },
    ...globalArgs,
  },
  async run(args, globals) {
    const conn = connect(globals.uri);
    const instance = await loadInstance(conn, globals.dataDir, args.name);
    if (args.log) {
      const count = args.lines === undefined ? Number.MAX_SAFE_INTEGER : Number(args.lines);
      if (!Number.isInteger(count) || count < 1) throw new UsageError(`Invalid --lines: ${JSON.stringify(args.lines)}: expected a whole number`);
      return consoleLog(conn, instance, count);
    }
    if (globals.json) throw new UsageError("console is interactive: use --log with --json");
    if (instance.state !== "running") throw new StateError(`Instance is not running: "${args.name}"`, { hint: `testcloud console --log ${args.name}` });
    process.exitCode = await attachConsole(conn, instance.record.uuid, globals.signal);
    return undefined;
  },
  human: (r) => r?.lines.join("\n") ?? "",
});
