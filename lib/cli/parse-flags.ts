import { UsageError } from "../errors.ts";

/** What the parser reads of a citty argument definition. */
export interface FlagDef {
  type?: string;
  alias?: string | string[];
  default?: unknown;
  required?: boolean;
  options?: readonly string[];
}

/** A verb's arguments: each flag and positional under its name; `_` every positional word. */
export interface ParsedFlags {
  _: string[];
  [name: string]: string | boolean | undefined | string[];
}

/**
 * Parses a verb's words against its citty argument definitions, strictly: an undeclared
 * flag, a value flag without its value, a value outside an enum's options, a missing or
 * an extra positional word are each a usage error naming the verb's help. (citty's own
 * parser ignores unknown flags and extra words, so `create --dryrun` would really create;
 * and it loads node:util, ≈5 ms of every command: docs/design.md.)
 *
 * Spellings: `--flag`, `--no-flag` (false; for a value flag too: --no-wait), `--flag=true|false`,
 * `--name value` (the next word, even one starting with "-"), `--name=value`, `-n value`,
 * `-nvalue`, and short flags together (`-rf`). Words after `--` are positional, never flags.
 * With `variadic`, the last positional takes any number of words (cp's SRC… DST).
 */
export function parseFlags(command: string, defs: Record<string, FlagDef>, rawArgs: string[], options: { variadic?: boolean } = {}): ParsedFlags {
  const table = flagTable(defs);
  const parsed: ParsedFlags = { _: [] };
  let afterDashes = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") {
      afterDashes = rawArgs.length - i - 1;
      parsed._.push(...rawArgs.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      parsed._.push(arg);
      continue;
    }
    const takeNext = (flag: string): string => {
      const next = rawArgs[++i];
      if (next === undefined) throw usage(command, `Missing value for ${flag}`);
      return next;
    };
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const spelled = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const flag = table.get(spelled);
      const negated = flag ? undefined : spelled.startsWith("no-") ? table.get(spelled.slice(3)) : undefined;
      if (negated && inline === undefined) parsed[negated.name] = false;
      else if (!flag) throw unknown(command, arg, spelled, table);
      else if (flag.type === "boolean") parsed[flag.name] = inline === undefined ? true : booleanValue(command, `--${spelled}`, inline);
      else parsed[flag.name] = inline ?? takeNext(`--${spelled}`);
      continue;
    }
    // Short flags, one letter each; a value flag takes the rest of the word, else the next word.
    const letters = arg.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const flag = table.get(letters[j]!);
      if (!flag) throw unknown(command, arg, letters[j]!, table);
      if (flag.type === "boolean") {
        parsed[flag.name] = true;
        continue;
      }
      parsed[flag.name] = j + 1 < letters.length ? letters.slice(j + 1) : takeNext(`-${letters[j]}`);
      break;
    }
  }
  assignPositionals(command, defs, parsed, afterDashes, options.variadic === true);
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    if (parsed[name] === undefined && def.default !== undefined) parsed[name] = def.default as string | boolean;
    const value = parsed[name];
    if (def.type === "enum" && typeof value === "string" && def.options && !def.options.includes(value)) {
      throw usage(command, `Invalid value for --${name}: "${value}": expected one of ${def.options.join(", ")}`);
    }
  }
  return parsed;
}

/** Positional words go to the positional arguments in order (those after `--` too, as citty did). */
function assignPositionals(command: string, defs: Record<string, FlagDef>, parsed: ParsedFlags, afterDashes: number, variadic: boolean): void {
  const positionals = Object.entries(defs).filter(([, def]) => def.type === "positional");
  positionals.forEach(([name, def], k) => {
    const word = parsed._[k];
    if (word !== undefined) parsed[name] = word;
    else if (def.default !== undefined) parsed[name] = def.default as string;
    else if (def.required !== false) throw usage(command, `Missing required positional argument: ${name.toUpperCase()}`);
  });
  // Words after `--` belong to the command (ssh's remote command), not to its arguments.
  const extra = parsed._.slice(positionals.length, parsed._.length - afterDashes);
  if (!variadic && extra.length > 0) {
    const count = positionals.length;
    throw usage(command, `Unexpected argument: "${extra[0]}": ${command} takes ${count === 1 ? "one name" : `${count} arguments`}`);
  }
}

function booleanValue(command: string, flag: string, value: string): boolean {
  if (value === "true" || value === "false") return value === "true";
  throw usage(command, `Invalid value for ${flag}: "${value}": expected true or false`);
}

interface Flag {
  name: string;
  type: "boolean" | "string";
}

/** Every spelling of every flag (name, kebab-case, camelCase, aliases), with the name it sets. */
function flagTable(defs: Record<string, FlagDef>): Map<string, Flag> {
  const table = new Map<string, Flag>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const flag: Flag = { name, type: def.type === "boolean" || def.type === undefined ? "boolean" : "string" };
    const aliases = Array.isArray(def.alias) ? def.alias : def.alias ? [def.alias] : [];
    for (const spelling of [name, kebabCase(name), camelCase(name), ...aliases]) table.set(spelling, flag);
  }
  return table;
}

function kebabCase(name: string): string {
  let out = "";
  for (const c of name) out += c >= "A" && c <= "Z" ? `-${c.toLowerCase()}` : c;
  return out;
}

function camelCase(name: string): string {
  return name.split("-").map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1))).join("");
}

function usage(command: string, message: string): UsageError {
  return new UsageError(message, { hint: `testcloud ${command ? `${command} ` : ""}--help` });
}

function unknown(command: string, arg: string, name: string, table: Map<string, Flag>): UsageError {
  const near = [...table.keys()].filter((f) => f.length > 1).find((f) => distance(f, name) <= 2);
  const shown = arg.split("=")[0]!;
  return usage(command, `Unknown option: "${shown}"${near ? `: did you mean "--${near}"?` : ""}`);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The words before the first one that names a verb of `verbs` (all of them when none does). */
export function wordsBeforeVerb(rawArgs: string[], verbs: Record<string, unknown>): string[] {
  const verb = rawArgs.findIndex((arg) => Object.hasOwn(verbs, arg));
  return verb < 0 ? rawArgs : rawArgs.slice(0, verb);
}
