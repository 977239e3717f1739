import type { ArgsDef } from "citty";
import type { FlagValues } from "../host/config.ts";
import { MACHINE_ROWS } from "../host/_machine-settings.ts";

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `create`'s flags for the machine settings, one per row of lib/host/_machine-settings.ts. */
export function machineArgs(): ArgsDef {
  const args: ArgsDef = {};
  for (const [key, row] of Object.entries(MACHINE_ROWS)) {
    args[kebab(key)] = row.boolean
      ? { type: "boolean", description: row.description }
      : { type: "string", description: row.description, valueHint: row.valueHint };
  }
  return args;
}

/** The machine flags as given, for the config's flag layer: absent ones stay undefined so the config decides. */
export function machineFlagValues(args: Record<string, unknown>, rawArgs: string[]): FlagValues {
  const values: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(MACHINE_ROWS)) {
    const flag = kebab(key);
    if (row.repeatable) {
      const given = repeated(rawArgs, `--${flag}`);
      if (given.length) values[key] = given;
    } else values[key] = args[flag];
  }
  return values as FlagValues;
}

/** parseFlags keeps only the last of a repeated flag; these may be given many times. */
export function repeated(rawArgs: string[], flag: string): string[] {
  const values: string[] = [];
  const end = rawArgs.includes("--") ? rawArgs.indexOf("--") : rawArgs.length;
  for (let i = 0; i < end; i++) {
    const arg = rawArgs[i]!;
    if (arg === flag && i + 1 < end) values.push(rawArgs[++i]!);
    else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1));
  }
  return values;
}
