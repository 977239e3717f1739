import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processAlive } from "../host/process-alive.ts";

const FILE = "creating.pid";

/** Marks a directory as being created by this process, so `clean` leaves it alone. */
export function markCreating(dir: string): void {
  writeFileSync(join(dir, FILE), `${process.pid} ${startTime(process.pid) ?? ""}\n`);
}

export function unmarkCreating(dir: string): void {
  rmSync(join(dir, FILE), { force: true });
}

/** True when `dir` carries a creation mark (its creator may be alive or dead). */
export function creationMarked(dir: string): boolean {
  try {
    readFileSync(join(dir, FILE));
    return true;
  } catch {
    return false;
  }
}

/** True while the process that started creating `dir` is still alive. */
export function creationInProgress(dir: string): boolean {
  let pid: number;
  let started: string | undefined;
  try {
    [pid, started] = parseMark(readFileSync(join(dir, FILE), "utf8"));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // A kill -9'd create leaves a dead pid, which the kernel may give to another process:
  // the start time tells them apart.
  if (started && startTime(pid) !== started) return false;
  return processAlive(pid);
}

function parseMark(text: string): [number, string | undefined] {
  const [pid, started] = text.trim().split(/\s+/);
  return [Number(pid), started || undefined];
}

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22), or null. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}
