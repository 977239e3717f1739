import { UsageError } from "../lib/errors.ts";
import { completionScript, SHELLS, type Shell } from "../lib/cli/completion-script.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { commandTable } from "./_command-table.ts";
import pkg from "../package.json" with { type: "json" };

export default defineAction({
  meta: { name: "completion", description: "Print the shell completion script for bash, zsh or fish" },
  args: {
    shell: { type: "positional", description: "The shell: bash, zsh or fish", required: true, valueHint: SHELLS.join("|") },
    ...globalArgs,
  },
  async run(args) {
    if (!(SHELLS as readonly string[]).includes(args.shell)) {
      throw new UsageError(`Unknown shell: "${args.shell}": expected one of ${SHELLS.join(", ")}`, { hint: "testcloud completion bash" });
    }
    const shell = args.shell as Shell;
    return { shell, script: completionScript(shell, await commandTable(pkg.description)) };
  },
  human: (result) => result.script,
});
