import { UsageError } from "../errors.ts";

/** What the check needs of a citty argument definition. */
interface FlagDef {
  type?: string;
  alias?: string | string[];
}

/**
 * Refuses flags the command does not declare. citty ignores them, so a typo such as
 * `create --dryrun` would run a real create. Words after `--` belong to the command
 * (ssh's remote command) and are not looked at.
 */
export function rejectUnknownFlags(command: string, defs: Record<string, FlagDef>, rawArgs: string[]): void {
  const flags = flagTable(defs);
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") return;
    if (arg === "-" || !arg.startsWith("-")) continue;
    const names = arg.startsWith("--") ? [arg.slice(2).split("=")[0]!] : [...arg.slice(1).split("=")[0]!];
    for (const name of names) {
      const type = flags.get(name) ?? (name.startsWith("no-") ? flags.get(name.slice(3)) : undefined);
      if (type === undefined) throw unknown(command, arg, name, flags);
    }
    // A value flag without "=" takes the next word, even one that starts with "-".
    if (!arg.includes("=") && flags.get(names.at(-1)!) === "string") i++;
  }
}

/** Every spelling of every flag (name, kebab-case, camelCase, aliases) and its type. */
function flagTable(defs: Record<string, FlagDef>): Map<string, string> {
  const table = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const type = def.type === "enum" ? "string" : (def.type ?? "boolean");
    const aliases = Array.isArray(def.alias) ? def.alias : def.alias ? [def.alias] : [];
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    for (const spelling of [name, kebab, camel, ...aliases]) table.set(spelling, type);
  }
  return table;
}

function unknown(command: string, arg: string, name: string, flags: Map<string, string>): UsageError {
  const near = [...flags.keys()].filter((f) => f.length > 1).find((f) => distance(f, name) <= 2);
  const shown = arg.split("=")[0]!;
  return new UsageError(`Unknown option: "${shown}"${near ? `: did you mean "--${near}"?` : ""}`, {
    hint: `testcloud ${command ? `${command} ` : ""}--help`,
  });
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
