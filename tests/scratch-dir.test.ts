// scratchDir (tests/_helpers.ts) removes what a test, a describe or a file made when that
// scope ends, also when a test fails: scripts/test.sh fails a run that leaves anything in
// its temp dir, and leans on that promise.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { scratchDir } from "./_helpers.ts";

describe("scratchDir", () => {
  const made: Record<string, string> = {};

  test("makes a fresh directory under the temp dir", () => {
    made.test = scratchDir("tc-scratch-");
    expect(existsSync(made.test)).toBe(true);
    expect(made.test.startsWith(`${tmpdir()}/tc-scratch-`)).toBe(true);
    expect(scratchDir("tc-scratch-")).not.toBe(made.test);
  });

  test("a test's directory is gone once that test has ended", () => {
    expect(existsSync(made.test!)).toBe(false);
  });

  test.failing("(fails on purpose, after making a directory)", () => {
    made.failed = scratchDir("tc-scratch-");
    throw new Error("failing on purpose");
  });

  test("a failed test's directory is gone too", () => {
    expect(made.failed).toBeDefined();
    expect(existsSync(made.failed!)).toBe(false);
  });

  describe("a describe's directory", () => {
    made.describe = scratchDir("tc-scratch-");
    test("lives through that describe's tests", () => {
      expect(existsSync(made.describe!)).toBe(true);
    });
  });

  test("is gone once that describe has ended", () => {
    expect(existsSync(made.describe!)).toBe(false);
  });
});
