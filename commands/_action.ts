import type { ArgsDef, CommandDef, CommandMeta, ParsedArgs } from "citty";
import type { Globals } from "../lib/cli/globals.ts";
import { printResult } from "../lib/cli/output.ts";
import { parseFlags } from "../lib/cli/parse-flags.ts";
import { applyFlags, loadConfig, type FlagValues, type LoadedConfig } from "../lib/host/config.ts";

let current: Globals | undefined;

/** Set once by main() before any command runs. */
export function setGlobals(globals: Globals): void {
  current = globals;
}

/**
 * A verb as the dispatcher runs it: citty's command definition (meta and args, which help,
 * the man page and the completion scripts are made from) with a `run` that takes the words
 * after the verb. A group's `run` picks its verb among `subCommands` (commands/_group.ts).
 */
export interface Verb extends CommandDef {
  run(context: { rawArgs: string[] }): Promise<void>;
}

/** A command that parses its flags, calls the library and returns plain data to print. */
export function defineAction<A extends ArgsDef, R>(def: {
  meta: CommandMeta;
  /** The group a verb belongs to ("image"), for the words of hints. */
  group?: string;
  args: A;
  /** The last positional takes any number of words (cp's SRC… DST). */
  variadic?: boolean;
  run: (args: ParsedArgs<A>, globals: Globals, rawArgs: string[]) => Promise<R>;
  human?: (result: R) => string;
}): Verb {
  const command = [def.group, def.meta.name].filter(Boolean).join(" ");
  return {
    meta: def.meta,
    args: def.args,
    async run({ rawArgs }) {
      if (!current) throw new Error("globals not set");
      const args = parseFlags(command, def.args, rawArgs, { variadic: def.variadic }) as unknown as ParsedArgs<A>;
      const result = await def.run(args, current, rawArgs);
      printResult(result, current.json, def.human as ((data: never) => string) | undefined, current.events ?? false);
    },
  };
}

/**
 * The effective configuration of a command: the config main() loaded (loaded here when a
 * test runs the command alone) with the command's own flags on top.
 */
export async function commandConfig(globals: Globals, flags: FlagValues = {}): Promise<LoadedConfig> {
  return applyFlags(globals.config ?? (await loadConfig()), flags);
}

/** The global flags, listed in every command's --help. */
export const globalArgs = {
  json: { type: "boolean", description: "Print one JSON document on stdout (errors too)" },
  events: { type: "boolean", description: "Print progress as JSON lines on stdout, the result (or error) last (create, start, reboot, image pull)" },
  connect: { type: "string", alias: "c", description: "libvirt URI; system and session mean qemu:///system and qemu:///session (default: system as root, else session)", valueHint: "URI" },
  host: { type: "string", description: "A host named in the [hosts] setting (create also takes auto: the one with most free memory)", valueHint: "NAME" },
  verbose: { type: "boolean", description: "Show stack traces on errors" },
} as const satisfies ArgsDef;
