import type { ImageProgress } from "../image/progress.ts";

/**
 * What long commands report as they go, for tools that show live progress
 * (`--events`: one JSON object per line on stdout; docs/schema/v1/event.schema.json).
 */
export type InstanceEvent =
  | { event: "phase"; phase: string; status: "started" }
  | { event: "phase"; phase: string; status: "finished"; ms: number }
  | ({ event: "progress" } & ImageProgress)
  | { event: "ready"; name: string; ip: string; ms: number };

export type EventSink = (event: InstanceEvent) => void;

/** Runs one named phase of a command, reporting its start and its duration. */
export async function phase<T>(name: string, step: () => Promise<T>, onEvent?: EventSink): Promise<T> {
  onEvent?.({ event: "phase", phase: name, status: "started" });
  const start = performance.now();
  try {
    return await step();
  } finally {
    onEvent?.({ event: "phase", phase: name, status: "finished", ms: Math.round(performance.now() - start) });
  }
}
