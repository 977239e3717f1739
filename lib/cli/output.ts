import type { TestcloudError } from "../errors.ts";

/**
 * Where the CLI writes: stdout for data, stderr for everything else. console.log/error
 * rather than process.stdout/stderr: in the compiled binary the first use of those streams
 * costs ~20 ms of start-up (they load Node's stream machinery); console writes to the fd.
 * Tests replace `out` to capture what a command prints.
 */
export const streams = {
  out(text: string): void {
    console.log(text.endsWith("\n") ? text.slice(0, -1) : text);
  },
  err(text: string): void {
    console.error(text.endsWith("\n") ? text.slice(0, -1) : text);
  },
};

/** Prints a command's result: one JSON document, or the command's human rendering. */
export function printResult(data: unknown, json: boolean, human?: (data: never) => string): void {
  if (data === undefined) return;
  if (json) {
    streams.out(JSON.stringify(data, null, 2) + "\n");
    return;
  }
  const text = human ? human(data as never) : JSON.stringify(data, null, 2);
  if (text) streams.out(text.endsWith("\n") ? text : text + "\n");
}

/** Prints an error as `{"error": …}` on stdout (JSON mode) or one line plus hint on stderr. */
export function printError(error: TestcloudError, json: boolean, verbose: boolean): void {
  if (json) {
    const { code, message, exitCode, hint, detail } = error;
    streams.out(JSON.stringify({ error: { code, message, exitCode, hint: hint ?? null, detail: detail ?? [] } }, null, 2) + "\n");
  } else {
    const lines = [`error: ${error.message}`, ...(error.detail ?? []).map((line) => `  | ${line}`)];
    if (error.hint) lines.push(`hint: ${error.hint}`);
    streams.err(lines.join("\n") + "\n");
  }
  if (verbose && error.stack) streams.err(`${error.stack}\n`);
}
