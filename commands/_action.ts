import { defineCommand, type ArgsDef, type CommandDef, type CommandMeta, type ParsedArgs } from "citty";
import type { Globals } from "../lib/cli/globals.ts";
import { UsageError } from "../lib/errors.ts";
import { printResult } from "../lib/cli/output.ts";
import { rejectUnknownFlags } from "../lib/cli/unknown-flags.ts";
import { applyFlags, loadConfig, type FlagValues, type LoadedConfig } from "../lib/host/config.ts";

let current: Globals | undefined;

/** Set once by main() before any command runs. */
export function setGlobals(globals: Globals): void {
  current = globals;
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
}): CommandDef<A> {
  return defineCommand({
    meta: def.meta,
    args: def.args,
    async run(context) {
      if (!current) throw new Error("globals not set");
      const command = [def.group, def.meta.name].filter(Boolean).join(" ");
      rejectUnknownFlags(command, def.args, context.rawArgs);
      if (!def.variadic) rejectExtraWords(command, def.args, context.args._, context.rawArgs);
      const result = await def.run(context.args, current, context.rawArgs);
      printResult(result, current.json, def.human as ((data: never) => string) | undefined, current.events ?? false);
    },
  });
}

/**
 * citty ignores positional words beyond those declared: `remove a b` would remove only
 * "a" and say nothing of "b". Words after `--` belong to the command (ssh's remote command).
 */
function rejectExtraWords(command: string, args: ArgsDef, words: string[], rawArgs: string[]): void {
  const declared = Object.values(args).filter((a) => a.type === "positional").length;
  const dashes = rawArgs.indexOf("--");
  const afterDashes = dashes >= 0 ? rawArgs.length - dashes - 1 : 0;
  const extra = words.slice(declared, words.length - afterDashes);
  if (extra.length > 0) {
    throw new UsageError(`Unexpected argument: "${extra[0]}": ${command} takes ${declared === 1 ? "one name" : `${declared} arguments`}`, {
      hint: `testcloud ${command} --help`,
    });
  }
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
