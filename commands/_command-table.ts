import type { ArgDef, ArgsDef, CommandDef, CommandMeta } from "citty";
import type { ArgSpec, VerbSpec } from "../lib/cli/_command-spec.ts";
import { valueKind } from "../lib/cli/value-kind.ts";
import { SCHEMA } from "../lib/host/_config-schema.ts";
import { globalArgs } from "./_action.ts";
import { aliases, commands } from "./registry.ts";

/** citty lets meta, args and subCommands be values, promises or functions returning either. */
async function resolve<T>(value: T | Promise<T> | (() => T | Promise<T>) | undefined): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/**
 * Every verb testcloud shows (hidden ones left out) with its flags, read from the command
 * definitions: testcloud itself first (path []), then each verb, a group's verbs after it.
 */
export async function commandTable(description: string): Promise<VerbSpec[]> {
  const root: VerbSpec = { path: [], description, aliases: [], args: argSpecs([], globalArgs), verbs: [] };
  const table = [root];
  for (const [name, load] of Object.entries(commands)) {
    const verbs = await verbSpecs([name], await load());
    if (verbs.length === 0) continue;
    root.verbs.push(name);
    table.push(...verbs);
  }
  return table;
}

async function verbSpecs(path: string[], command: CommandDef): Promise<VerbSpec[]> {
  const meta = (await resolve(command.meta)) as CommandMeta | undefined;
  if (meta?.hidden) return [];
  const subs = ((await resolve(command.subCommands)) ?? {}) as Record<string, CommandDef | (() => Promise<CommandDef>)>;
  const spec: VerbSpec = {
    path,
    description: meta?.description ?? "",
    aliases: path.length === 1 ? Object.entries(aliases).filter(([, verb]) => verb === path[0]).map(([alias]) => alias) : [],
    args: argSpecs(path, ((await resolve(command.args)) ?? {}) as ArgsDef),
    verbs: Object.keys(subs),
  };
  const nested = await Promise.all(Object.entries(subs).map(async ([name, sub]) => verbSpecs([...path, name], (await resolve(sub)) as CommandDef)));
  return [spec, ...nested.flat()];
}

function argSpecs(path: string[], args: ArgsDef): ArgSpec[] {
  return Object.entries(args).map(([name, def]: [string, ArgDef]) => {
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const description = def.description ?? "";
    return {
      name,
      positional: def.type === "positional",
      aliases: "alias" in def ? [def.alias ?? []].flat() : [],
      // A boolean setting can be turned off for one command; so can what says it can (--no-wait).
      negatable: (def.type === "boolean" && Object.hasOwn(SCHEMA, camel)) || description.includes(`--no-${name}`),
      description,
      valueHint: "valueHint" in def ? def.valueHint : undefined,
      required: def.required === true,
      default: def.default === undefined ? undefined : String(def.default),
      value: valueKind(path, name, def as { type?: string; valueHint?: string; options?: string[] }),
    };
  });
}
