import { UsageError } from "../errors.ts";
import { INPUTS, invalidInput, readInput } from "./_read-input.ts";

/** Where `create` takes the console password from. */
export interface PasswordOptions {
  /** `--password`: in argv, so other users see it in the process list. */
  password?: string;
  /** `--password-file`: a regular file, or "-" for stdin. */
  passwordFile?: string;
  /** What "-" reads; default: this process's stdin. */
  stdin?: () => ReadableStream<Uint8Array>;
}

/** Longer than any password; stdin is read only this far when no newline comes. */
const STDIN_LIMIT = 64 * 1024;

/**
 * The console password: `--password`, or the first line of `--password-file`
 * (without its line ending), so it can stay out of argv. Undefined when neither
 * is given; an empty password or both options are usage errors.
 */
export async function readPassword(options: PasswordOptions): Promise<string | undefined> {
  const { password, passwordFile } = options;
  if (password !== undefined && passwordFile !== undefined) {
    throw new UsageError("Use either --password or --password-file, not both", {
      hint: "--password-file keeps the password out of the process list",
    });
  }
  if (passwordFile === undefined) {
    if (password === "") throw new UsageError("Invalid --password: it is empty", { code: INPUTS.password.invalid });
    return password;
  }
  if (passwordFile === "-") return firstLine(await readStdinLine((options.stdin ?? (() => Bun.stdin.stream()))()), "stdin");
  const { path, text } = await readInput(passwordFile, INPUTS.password);
  return firstLine(text, `"${path}"`);
}

function firstLine(text: string, source: string): string {
  const line = /^[^\n]*/.exec(text)![0].replace(/\r$/, "");
  if (line === "") throw invalid(source, "the first line is empty");
  return line;
}

function invalid(source: string, detail: string): UsageError {
  return new UsageError(`Invalid password: ${source}: ${detail}`, { code: INPUTS.password.invalid });
}

/** Reads up to the first newline and stops there: a terminal or a pipe left open need not reach EOF. */
async function readStdinLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      chunks.push(chunk.value);
      length += chunk.value.length;
      if (chunk.value.includes(0x0a)) break;
      if (length > STDIN_LIMIT) throw invalid("stdin", `no line ending in the first ${STDIN_LIMIT} bytes`);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = Buffer.concat(chunks);
  const end = bytes.indexOf(0x0a);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(end < 0 ? bytes : bytes.subarray(0, end));
  } catch {
    throw invalid("stdin", "it is not UTF-8 text");
  }
}
