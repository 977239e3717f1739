import { defineCommand, renderUsage, runCommand, type CommandDef } from "citty";
import { TestcloudError, UsageError, InterruptedError } from "../lib/errors.ts";
import { extractGlobals } from "../lib/cli/globals.ts";
import { loadConfig } from "../lib/host/config.ts";
import { checkDataDir } from "../lib/host/data-dir.ts";
import { logger, printError } from "../lib/cli/output.ts";
import { rejectUnknownFlags, wordsBeforeVerb } from "../lib/cli/unknown-flags.ts";
import { globalArgs, setGlobals } from "./_action.ts";
import { aliases, commands } from "./registry.ts";
import pkg from "../package.json" with { type: "json" };

const root: CommandDef = defineCommand({
  meta: { name: "testcloud", version: pkg.version, description: pkg.description },
  args: globalArgs as CommandDef["args"],
  subCommands: commands,
  // Before the verb runs: `testcloud --dryrun create …` must not create.
  setup({ rawArgs }) {
    rejectUnknownFlags("", globalArgs, wordsBeforeVerb(rawArgs, commands));
  },
});

/** Entry point: parses argv, runs one command, maps every failure to its exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // Keys, seeds and disks are secrets: nothing we create is readable by other users
  // unless we say so (the folders QEMU walks through are made 0711 on purpose).
  process.umask(0o077);
  const controller = new AbortController();
  const onSignal = () => {
    // The first Ctrl-C lets the command roll back; a second one exits at once.
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Should the command ever wait on nothing that keeps the process alive, Bun would exit
  // with 0 and no output: say so and fail instead.
  let done = false;
  process.once("beforeExit", () => {
    if (done) return;
    printError(new TestcloudError("Internal error: the command stopped before it finished", 1, "E_INTERNAL"), json, verbose);
    process.exitCode = 1;
  });
  let json = argv.includes("--json");
  let verbose = argv.includes("--verbose");
  try {
    const { globals, rest } = extractGlobals(argv, controller.signal);
    unalias(rest);
    ({ json, verbose } = globals);
    setGlobals(globals);
    if (!rest.includes("--help") && !rest.includes("-h")) {
      // Config files and TESTCLOUD_* variables feed every command; --connect beats them.
      globals.config = await loadConfig({ flags: globals.connectFlag ? { connect: globals.connectFlag } : {} });
      for (const warning of globals.config.warnings) logger.warn(warning);
      globals.uri = globals.config.settings.connect;
      globals.dataDir = globals.config.settings.dataDir;
      globals.imageDir = globals.config.settings.imageDir;
      // `config` shows the settings even when the data dir they name is unusable.
      if (rest[0] !== "config") {
        checkDataDir(globals.dataDir);
        checkDataDir(globals.imageDir, undefined, "image");
      }
    }
    if (rest[0] === "--version" || rest[0] === "-V") return printVersion(json);
    const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
    if (own.length === 0 || own.includes("--help") || own.includes("-h")) return await printHelp(own);
    await runCommand(root, { rawArgs: rest });
  } catch (error) {
    const known = toTestcloudError(error, controller.signal.aborted);
    printError(known, json, verbose);
    process.exitCode = known.exitCode;
  } finally {
    done = true;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Replaces a verb's other name (destroy, force-off) by the verb itself, in place. */
function unalias(rest: string[]): void {
  // Global flags are gone: the first word that is not a flag is the verb.
  const at = rest.findIndex((arg) => !arg.startsWith("-"));
  const verb = rest[at];
  if (verb !== undefined && Object.hasOwn(aliases, verb) && !rest.slice(0, at).includes("--")) rest[at] = aliases[verb as keyof typeof aliases];
}

function printVersion(json: boolean): void {
  process.stdout.write(json ? JSON.stringify({ version: pkg.version }) + "\n" : `${pkg.version}\n`);
}

/** Help of the deepest command the words name: `image resolve --help` shows resolve's. */
async function printHelp(rest: string[]): Promise<void> {
  let cmd: CommandDef = root;
  let parent: CommandDef | undefined;
  for (const word of rest.filter((a) => !a.startsWith("-"))) {
    const subs = (typeof cmd.subCommands === "function" ? await cmd.subCommands() : await cmd.subCommands) ?? {};
    const sub = (subs as Record<string, unknown>)[word];
    if (!sub) break;
    parent = cmd;
    cmd = (typeof sub === "function" ? await (sub as () => Promise<CommandDef>)() : await sub) as CommandDef;
  }
  process.stdout.write((await renderUsage(cmd, parent)) + "\n");
}

function toTestcloudError(error: unknown, interrupted: boolean): TestcloudError {
  // A tool killed by the same Ctrl-C fails too; report the interrupt, not its exit code.
  if (interrupted) return error instanceof InterruptedError ? error : new InterruptedError();
  if (error instanceof TestcloudError) return error;
  const err = error as Error & { code?: string };
  // citty reports argument problems as CLIError with codes such as EARG.
  if (err?.name === "CLIError" || err?.message?.startsWith("Missing value for")) {
    return new UsageError(stripAnsi(err.message), { hint: "testcloud --help" });
  }
  return new TestcloudError(`Internal error: ${err?.message ?? String(error)}`, 1, "E_INTERNAL", { cause: error });
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
