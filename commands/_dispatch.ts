import type { CommandDef } from "citty";
import type { Globals } from "../lib/cli/globals.ts";
import { streams } from "../lib/cli/output.ts";
import { parseFlags, wordsBeforeVerb } from "../lib/cli/parse-flags.ts";
import { loadConfig } from "../lib/host/config.ts";
import { hostUri } from "../lib/host/hosts.ts";
import { UsageError } from "../lib/errors.ts";
import { checkDataDir } from "../lib/host/check-data-dir.ts";
import { globalArgs, setGlobals } from "./_action.ts";
import { aliases, commands } from "./registry.ts";

/** The root command, for help: every verb of the registry under the global flags. */
function rootCommand(pkg: { version: string; description: string }): CommandDef {
  return {
    meta: { name: "testcloud", version: pkg.version, description: pkg.description },
    args: globalArgs as CommandDef["args"],
    subCommands: commands,
  };
}

/** Runs the verb `rest` names (or prints help) with the configuration loaded into `globals`. */
export async function dispatch(globals: Globals, rest: string[], pkg: { version: string; description: string }): Promise<void> {
  unalias(rest);
  setGlobals(globals);
  const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (own.length === 0 || own.includes("--help") || own.includes("-h")) return printHelp(rootCommand(pkg), own);
  await configure(globals, rest[0]);
  // extractGlobals has taken the global flags out already: what is left before the verb can
  // only be an unknown flag, refused before anything runs (`--dryrun create` must not create).
  parseFlags("", globalArgs, wordsBeforeVerb(rest, commands).filter((word) => word.startsWith("-")));
  const at = own.findIndex((arg) => !arg.startsWith("-"));
  const verb = rest[at];
  if (verb === undefined || !Object.hasOwn(commands, verb)) {
    throw new UsageError(`Unknown command ${verb ?? rest[0]}`, { hint: "testcloud --help" });
  }
  await (await commands[verb as keyof typeof commands]()).run({ rawArgs: rest.slice(at + 1) });
}

/** Config files and TESTCLOUD_* variables feed every command; --connect beats them. */
async function configure(globals: Globals, verb: string | undefined): Promise<void> {
  globals.config = await loadConfig({ flags: globals.connectFlag ? { connect: globals.connectFlag } : {} });
  if (globals.config.warnings.length > 0) {
    const { logger } = await import("../lib/cli/logger.ts");
    for (const warning of globals.config.warnings) logger.warn(warning);
  }
  globals.uri = globals.config.settings.connect;
  if (globals.hostFlag !== undefined) globals.uri = chosenHost(globals, verb);
  globals.dataDir = globals.config.settings.dataDir;
  globals.imageDir = globals.config.settings.imageDir;
  // `config` shows the settings even when the data dir they name is unusable; the
  // completion script reads nothing from it.
  if (verb !== "config" && verb !== "completion") {
    await checkDataDir(globals.dataDir);
    await checkDataDir(globals.imageDir, undefined, "image");
  }
}

/** The URI --host names; "auto" is create's to resolve (it asks every host), so it keeps the default here. */
function chosenHost(globals: Globals, verb: string | undefined): string {
  if (globals.connectFlag !== undefined) throw new UsageError("--host and --connect both name the host: pass one");
  if (globals.hostFlag === "auto") {
    if (verb !== "create") throw new UsageError("--host auto is for create: other verbs need the host's name");
    return globals.uri;
  }
  return hostUri(globals.config!.settings, globals.hostFlag!);
}

/** Replaces a verb's other name (destroy, force-off) by the verb itself, in place. */
function unalias(rest: string[]): void {
  // Global flags are gone: the first word that is not a flag is the verb.
  const at = rest.findIndex((arg) => !arg.startsWith("-"));
  const verb = rest[at];
  if (verb !== undefined && Object.hasOwn(aliases, verb) && !rest.slice(0, at).includes("--")) rest[at] = aliases[verb as keyof typeof aliases];
}

/** Help of the deepest command the words name: `image resolve --help` shows resolve's. */
async function printHelp(root: CommandDef, rest: string[]): Promise<void> {
  let cmd: CommandDef = root;
  let parent: CommandDef | undefined;
  for (const word of rest.filter((a) => !a.startsWith("-"))) {
    const subs = (typeof cmd.subCommands === "function" ? await cmd.subCommands() : await cmd.subCommands) ?? {};
    const sub = (subs as Record<string, unknown>)[word];
    if (!sub) break;
    parent = cmd;
    cmd = (typeof sub === "function" ? await (sub as () => Promise<CommandDef>)() : await sub) as CommandDef;
  }
  // citty renders help; it is loaded only here (with node:util, ≈5 ms: docs/design.md).
  const { renderUsage } = await import("citty");
  const usage = await renderUsage(cmd, parent);
  // Its colours are for a terminal: help piped into grep or less gets plain text.
  const terminal = process.getBuiltinModule("node:tty").isatty(1);
  streams.out((terminal ? usage : usage.replace(/\x1b\[[0-9;]*m/g, "")) + "\n");
}
