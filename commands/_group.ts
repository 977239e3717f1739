import { defineCommand, type CommandDef } from "citty";
import { UsageError } from "../lib/errors.ts";
import { rejectUnknownFlags, wordsBeforeVerb } from "../lib/cli/unknown-flags.ts";
import { globalArgs } from "./_action.ts";

/** A group of verbs (`image`, `snapshot`): one lazily loaded command per verb. */
export function defineGroup(name: string, description: string, subCommands: Record<string, () => Promise<CommandDef>>) {
  return defineCommand({
    meta: { name, description },
    args: { ...globalArgs },
    subCommands,
    // citty runs a group's own run after its subcommand, and without one it throws an
    // unstyled "No command specified"; this turns the bare `testcloud GROUP` into a usage error.
    // Runs before the verb: flags before it are the group's own (the verb checks those after it).
    setup({ rawArgs }) {
      rejectUnknownFlags(name, globalArgs, wordsBeforeVerb(rawArgs, subCommands));
    },
    run({ rawArgs }) {
      if (rawArgs.some((arg) => Object.hasOwn(subCommands, arg))) return;
      throw new UsageError(`Missing ${name} command: expected one of ${Object.keys(subCommands).join(", ")}`, {
        hint: `testcloud ${name} --help`,
      });
    },
  });
}
