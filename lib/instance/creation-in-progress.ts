// Bun.file, not node:fs: `list` asks this of every instance, and must not load node:fs for it.
import { processAlive } from "../host/process-alive.ts";
import { markFile, parseMark, startTimeField } from "./_creation-mark.ts";

/** True when `dir` carries a creation mark (its creator may be alive or dead). */
export async function creationMarked(dir: string): Promise<boolean> {
  return Bun.file(markFile(dir)).exists();
}

/** True while the process that started creating `dir` is still alive. */
export async function creationInProgress(dir: string): Promise<boolean> {
  const mark = Bun.file(markFile(dir));
  // Most directories carry no mark: exists() answers at once, text() goes through Bun's worker pool.
  if (!(await mark.exists())) return false;
  let pid: number;
  let started: string | undefined;
  try {
    [pid, started] = parseMark(await mark.text());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // A kill -9'd create leaves a dead pid, which the kernel may give to another process:
  // the start time tells them apart.
  if (started && (await startTime(pid)) !== started) return false;
  return processAlive(pid);
}

async function startTime(pid: number): Promise<string | null> {
  try {
    return startTimeField(await Bun.file(`/proc/${pid}/stat`).text());
  } catch {
    return null;
  }
}
