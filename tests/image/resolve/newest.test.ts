import { describe, expect, test } from "bun:test";
import { compareStamps, newestEntry } from "../../../lib/image/resolve/_newest.ts";

describe("compareStamps", () => {
  const cases: [string, string, -1 | 0 | 1][] = [
    ["20240401.0", "20240325.0", 1],
    ["20240226.1", "20240226.0", 1],
    ["9.10-20270101", "9.8-20260526", 1],
    ["9.8-20260525.0", "9.8-20260525.0", 0],
    ["20240401", "20240401.0", -1],
  ];

  test.each(cases)("orders %s against %s by numeric runs", (a, b, sign) => {
    expect(Math.sign(compareStamps(a, b))).toBe(sign);
  });
});

describe("newestEntry", () => {
  test("takes the greatest stamp, not the last line", () => {
    const entry = (file: string) => ({ file, algorithm: "sha256" as const, value: "" });
    const entries = ["img-20240311.0.q", "img-20240401.0.q", "img-latest.q", "img-20240325.0.q"].map(entry);
    expect(newestEntry(entries, /^img-(\d{8}\.\d+)\.q$/)).toEqual({ entry: entry("img-20240401.0.q"), stamp: "20240401.0" });
  });

  test("gives null when nothing matches", () => {
    expect(newestEntry([], /x/)).toBeNull();
  });
});
