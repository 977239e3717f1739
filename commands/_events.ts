import type { ImageProgress } from "../lib/image/progress.ts";
import { progressPrinter } from "../lib/image/progress.ts";
import type { EventSink } from "../lib/instance/events.ts";
import type { Globals } from "../lib/cli/globals.ts";
import { streams } from "../lib/cli/output.ts";

/**
 * The `--events` writer: every event as one JSON line on stdout. Download progress is
 * thinned to 4 lines a second (and always its last), so a fast pull does not flood a pipe.
 */
export function eventWriter(write: (line: string) => void = streams.out): EventSink {
  let lastProgress = -Infinity;
  return (event) => {
    if (event.event === "progress" && !event.done) {
      const now = performance.now();
      if (now - lastProgress < 250) return;
      lastProgress = now;
    }
    write(JSON.stringify(event) + "\n");
  };
}

/** Where download progress goes: events under --events, nowhere under --json, else stderr. */
export function progress(globals: Pick<Globals, "json" | "events">, onEvent?: EventSink): ((p: ImageProgress) => void) | undefined {
  if (globals.events && onEvent) return (p) => onEvent({ event: "progress", ...p });
  return globals.json ? undefined : progressPrinter();
}
