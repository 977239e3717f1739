import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { markFile, markText, startTimeField } from "./_creation-mark.ts";

/** Marks a directory as being created by this process, so `clean` leaves it alone (creation-in-progress.ts reads the mark). */
export function markCreating(dir: string): void {
  writeFileSync(markFile(dir), markText(process.pid, startTime(process.pid)));
}

export function unmarkCreating(dir: string): void {
  rmSync(markFile(dir), { force: true });
}

/** A process's start time (see startTimeField), or null. */
function startTime(pid: number): string | null {
  try {
    return startTimeField(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}
