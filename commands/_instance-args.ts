import type { ArgsDef } from "citty";
import type { Globals } from "../lib/cli/globals.ts";
import { UsageError } from "../lib/errors.ts";
import type { WaitFor } from "../lib/instance/wait-instance.ts";
import { commandConfig } from "./_action.ts";

/** The positional NAME every instance verb takes. */
export const nameArg = {
  name: { type: "positional", description: "Instance name", required: true },
} as const satisfies ArgsDef;

/**
 * Flags of the verbs that wait for the guest after powering it on. No citty defaults: an
 * absent flag lets the timeout and wait settings decide (see `powerWait`).
 */
export const waitArgs = {
  timeout: { type: "string", description: "Seconds to wait (default: the timeout setting, 300; 900 for a guest of another architecture)" },
  wait: { type: "string", description: "Ready means: ssh (ssh works) or cloud-init (finished too); --no-wait: do not wait (default: the wait setting, ssh)", valueHint: "ssh|cloud-init" },
} as const satisfies ArgsDef;

/** How start, reboot and reset wait: their --timeout/--wait over the timeout, wait and sshConnectTimeout settings. */
export async function powerWait(
  args: { timeout?: string; wait?: string | boolean },
  globals: Globals,
): Promise<{ for: WaitFor | "none"; timeoutS: number; defaultTimeout: boolean; sshConnectTimeoutS: number; signal: AbortSignal }> {
  // --no-wait arrives as false: it is no setting, only this command's choice.
  const wait = typeof args.wait === "string" ? args.wait : undefined;
  const config = await commandConfig(globals, { timeout: args.timeout, wait });
  const s = config.settings;
  return {
    for: args.wait === false ? "none" : waitMode(s.wait),
    timeoutS: s.timeout,
    // The default is longer for a guest of another architecture (emulated).
    defaultTimeout: config.origins.timeout === "default",
    sshConnectTimeoutS: s.sshConnectTimeout,
    signal: globals.signal,
  };
}

/** Seconds a graceful shutdown may take: `shutdown --timeout`, else the shutdownTimeout setting. */
export async function shutdownSeconds(timeout: string | undefined, globals: Globals): Promise<number> {
  // Checked here, so a bad value is named as the flag the user typed, not as --shutdown-timeout.
  const flag = timeout === undefined ? undefined : seconds(timeout);
  return (await commandConfig(globals, { shutdownTimeout: flag })).settings.shutdownTimeout;
}

/** Reads --wait / --no-wait (parseFlags turns --no-wait into wait=false). */
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
