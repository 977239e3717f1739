// The creation mark, `creating.pid` in a directory being made: its writer is creation-lock.ts,
// its reader creation-in-progress.ts (the reader stays off node:fs, for `list`).
import { join } from "../host/posix-path.ts";

/** The mark's file in `dir`. */
export function markFile(dir: string): string {
  return join(dir, "creating.pid");
}

/** A mark's text: the creator's pid and its start time, which tells it from a later process given the same pid. */
export function markText(pid: number, started: string | null): string {
  return `${pid} ${started ?? ""}\n`;
}

export function parseMark(text: string): [number, string | undefined] {
  const [pid, started] = text.trim().split(/\s+/);
  return [Number(pid), started || undefined];
}

/** The start time in clock ticks since boot in a /proc/PID/stat text (field 22), or null. */
export function startTimeField(stat: string): string | null {
  // The command name (field 2) may hold spaces and parentheses: count from the last ")".
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}
