import type { ArgsDef } from "citty";
import { UsageError } from "../lib/errors.ts";

/** The positional NAME every instance verb takes. */
export const nameArg = {
  name: { type: "positional", description: "Instance name", required: true },
} as const satisfies ArgsDef;

/** Flags of the verbs that wait for the guest after powering it on. */
export const waitArgs = {
  timeout: { type: "string", description: "Seconds to wait", default: "300" },
  wait: { type: "string", description: "Ready means: ssh (ssh works) or cloud-init (finished too); --no-wait: do not wait", default: "ssh", valueHint: "ssh|cloud-init" },
} as const satisfies ArgsDef;

/** Reads --wait / --no-wait (citty turns --no-wait into wait=false). */
export function waitMode(value: string | boolean | undefined): "ssh" | "cloud-init" | "none" {
  if (value === false) return "none";
  if (value === undefined || value === true || value === "ssh") return "ssh";
  if (value === "cloud-init") return "cloud-init";
  throw new UsageError(`Invalid --wait: ${JSON.stringify(value)}: expected ssh or cloud-init (or --no-wait)`);
}

/** A whole number of seconds from a flag, or a UsageError naming the flag. */
export function seconds(value: string, flag = "--timeout"): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`Invalid ${flag}: ${JSON.stringify(value)}: expected a whole number of seconds, at least 1`);
  }
  return Number(value);
}
