import { TestcloudError, InterruptedError } from "../lib/errors.ts";
import { extractGlobals } from "../lib/cli/globals.ts";
import { printError, streams } from "../lib/cli/output.ts";
import pkg from "../package.json" with { type: "json" };

/**
 * Entry point: parses argv, runs one command, maps every failure to its exit code.
 * Start-up time is part of every command a script runs: this module loads only what
 * --version and the error path need; the config and the verbs come with dispatch.
 */
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
    printError(new TestcloudError("Internal error: the command stopped before it finished", 1, "E_INTERNAL"), json, verbose, events);
    process.exitCode = 1;
  });
  let events = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length).includes("--events");
  let json = events || argv.includes("--json");
  let verbose = argv.includes("--verbose");
  try {
    const { globals, rest } = extractGlobals(argv, controller.signal);
    ({ json, verbose } = globals);
    events = globals.events ?? false;
    // Before the config is read: --version needs nothing, and works whatever the config says.
    if (rest[0] === "--version" || rest[0] === "-V") return printVersion(json);
    const { dispatch } = await import("./_dispatch.ts");
    await dispatch(globals, rest, pkg);
  } catch (error) {
    const known = toTestcloudError(error, controller.signal.aborted);
    printError(known, json, verbose, events);
    process.exitCode = known.exitCode;
  } finally {
    done = true;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function printVersion(json: boolean): void {
  streams.out(json ? JSON.stringify({ version: pkg.version }) + "\n" : `${pkg.version}\n`);
}

function toTestcloudError(error: unknown, interrupted: boolean): TestcloudError {
  // A tool killed by the same Ctrl-C fails too; report the interrupt, not its exit code.
  if (interrupted) return error instanceof InterruptedError ? error : new InterruptedError();
  if (error instanceof TestcloudError) return error;
  return new TestcloudError(`Internal error: ${(error as Error)?.message ?? String(error)}`, 1, "E_INTERNAL", { cause: error });
}
