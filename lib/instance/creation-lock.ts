import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FILE = "creating.pid";

/** Marks a directory as being created by this process, so `clean` leaves it alone. */
export function markCreating(dir: string): void {
  writeFileSync(join(dir, FILE), `${process.pid}\n`);
}

export function unmarkCreating(dir: string): void {
  rmSync(join(dir, FILE), { force: true });
}

/** True while the process that started creating `dir` is still alive. */
export function creationInProgress(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, FILE), "utf8").trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    // Signal 0 checks existence only. A kill -9'd create leaves a dead pid: clean may take over.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
