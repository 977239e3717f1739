/** What the bash, zsh and fish completion scripts share: names, flag spellings, value specs. */
import type { ArgSpec, ValueKind, VerbSpec } from "./_command-spec.ts";

// Verb and flag names go into case patterns and fish conditions: nothing but these.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A verb's key in the scripts' tables: "." for testcloud itself, else "image pull". */
export function pathKey(path: readonly string[]): string {
  return path.length === 0 ? "." : path.map(checkName).join(" ");
}

/** A verb or flag name, refused unless it is a plain word. */
export function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`completion: not a plain name: ${JSON.stringify(name)}`);
  return name;
}

/** Every way to write a flag on the command line, with what each takes. */
export function flagSpellings(arg: ArgSpec): { flag: string; value: ValueKind }[] {
  const names = [arg.name, ...arg.aliases].map(checkName);
  const spellings = names.map((name) => ({ flag: name.length === 1 ? `-${name}` : `--${name}`, value: arg.value }));
  if (arg.negatable) spellings.push({ flag: `--no-${arg.name}`, value: { kind: "none" } });
  return spellings;
}

/** The flags of a verb, --help included (main() answers it for every verb). */
export function flagsOf(verb: VerbSpec): ArgSpec[] {
  const help: ArgSpec = { name: "help", positional: false, aliases: ["h"], negatable: false, description: "Show this help", required: false, value: { kind: "none" } };
  const version: ArgSpec = { ...help, name: "version", aliases: ["V"], description: "Show the version" };
  return [...verb.args.filter((a) => !a.positional), help, ...(verb.path.length === 0 ? [version] : [])];
}

/**
 * A value spec as space-separated tokens: text, files, dirs, dynamic:SOURCE, word:WORD.
 * Empty for a switch.
 */
export function valueTokens(value: ValueKind): string {
  switch (value.kind) {
    case "none":
      return "";
    case "text":
    case "files":
    case "dirs":
      return value.kind;
    case "words":
      return value.words.map((w) => `word:${checkName(w)}`).join(" ");
    case "dynamic":
      return [`dynamic:${value.source}`, ...(value.files ? ["files"] : []), ...(value.words ?? []).map((w) => `word:${checkName(w)}`)].join(" ");
  }
}

/** POSIX shell single quotes: bash and zsh read anything inside literally. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
