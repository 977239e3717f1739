import { createConsola } from "consola";
import { TestcloudError } from "../errors.ts";

/** Human-facing messages: always stderr, so stdout stays data. */
export const logger = createConsola({ stdout: process.stderr, stderr: process.stderr });

/** Prints a command's result: one JSON document, or the command's human rendering. */
export function printResult(data: unknown, json: boolean, human?: (data: never) => string, events = false): void {
  if (data === undefined) return;
  if (events) {
    process.stdout.write(JSON.stringify({ event: "result", result: data }) + "\n");
    return;
  }
  if (json) {
    process.stdout.write(JSON.stringify(data, null, 2) + "\n");
    return;
  }
  const text = human ? human(data as never) : JSON.stringify(data, null, 2);
  if (text) process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

/** Prints an error as `{"error": …}` on stdout (JSON mode) or one line plus hint on stderr. */
export function printError(error: TestcloudError, json: boolean, verbose: boolean, events = false): void {
  if (json) {
    const { code, message, exitCode, hint, detail } = error;
    const document = { error: { code, message, exitCode, hint: hint ?? null, detail: detail ?? [] } };
    process.stdout.write(events ? JSON.stringify({ event: "error", ...document }) + "\n" : JSON.stringify(document, null, 2) + "\n");
  } else {
    process.stderr.write(`error: ${error.message}\n`);
    for (const line of error.detail ?? []) process.stderr.write(`  | ${line}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
  }
  if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
}
