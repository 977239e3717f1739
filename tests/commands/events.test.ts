import { describe, expect, test } from "bun:test";
import { eventWriter } from "../../commands/_events.ts";
import { phase } from "../../lib/instance/events.ts";
import { assertSchema } from "../_schema.ts";

describe("--events output", () => {
  test("a phase reports its start and its milliseconds, also when it fails", async () => {
    const lines: string[] = [];
    const write = eventWriter((l) => lines.push(l));
    expect(await phase("image", async () => 42, write)).toBe(42);
    await expect(phase("boot", async () => Promise.reject(new Error("x")), write)).rejects.toThrow("x");
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => [e.phase, e.status])).toEqual([["image", "started"], ["image", "finished"], ["boot", "started"], ["boot", "finished"]]);
    for (const e of events) assertSchema("event", e);
    expect(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
  });

  test("download progress is thinned to a few lines a second, and its last line always comes", () => {
    const lines: string[] = [];
    const write = eventWriter((l) => lines.push(l));
    for (let bytes = 0; bytes < 1000; bytes++) write({ event: "progress", phase: "download", source: "http://x", bytes, total: 1000, resumedFrom: 0, done: false });
    write({ event: "progress", phase: "download", source: "http://x", bytes: 1000, total: 1000, resumedFrom: 0, done: true });
    expect(lines.length).toBeLessThan(5);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ bytes: 1000, done: true });
    for (const l of lines) assertSchema("event", JSON.parse(l));
  });

  test("the schema refuses an event it does not name", () => {
    expect(() => assertSchema("event", { event: "phase", phase: "x", status: "paused" })).toThrow();
  });
});
