import { UsageError } from "../lib/errors.ts";
import { parseFlags, wordsBeforeVerb } from "../lib/cli/parse-flags.ts";
import { globalArgs, type Verb } from "./_action.ts";

/** A group of verbs (`image`, `snapshot`): one lazily loaded command per verb. */
export function defineGroup(name: string, description: string, subCommands: Record<string, () => Promise<Verb>>): Verb {
  return {
    meta: { name, description },
    args: { ...globalArgs },
    subCommands,
    // Global flags are gone from the words by now (commands/main.ts): any flag before the
    // verb is unknown, and refused before anything runs. The verb checks those after it.
    async run({ rawArgs }) {
      const before = wordsBeforeVerb(rawArgs, subCommands);
      parseFlags(name, globalArgs, before.filter((word) => word.startsWith("-")));
      const stray = before.find((word) => !word.startsWith("-"));
      if (stray !== undefined) throw new UsageError(`Unknown command ${stray}`, { hint: `testcloud ${name} --help` });
      const verb = rawArgs[before.length];
      if (verb === undefined) {
        throw new UsageError(`Missing ${name} command: expected one of ${Object.keys(subCommands).join(", ")}`, {
          hint: `testcloud ${name} --help`,
        });
      }
      await (await subCommands[verb]!()).run({ rawArgs: rawArgs.slice(before.length + 1) });
    },
  };
}
