// scripts/test-summary.sh closes every CI run: the line it prints and the status it passes on.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const script = join(import.meta.dir, "../../scripts/test-summary.sh");
const scratch = mkdtempSync(join(tmpdir(), "tc-test-summary-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function summary(log: string, status: number) {
  const path = join(scratch, "log");
  writeFileSync(path, log);
  const result = Bun.spawnSync(["bash", script, path, String(status)], { stdout: "pipe", stderr: "pipe" });
  return { line: result.stdout.toString().trim(), exitCode: result.exitCode, stderr: result.stderr.toString() };
}

describe("scripts/test-summary.sh", () => {
  test("a run with no errors line (the normal case) passes with bun's status 0", () => {
    expect(summary(" 2105 pass\n 0 fail\n 6507 expect() calls\nRan 2105 tests across 106 files. [724.98s]\n", 0)).toEqual({
      line: "2105 passed, 0 failed, 0 errors",
      exitCode: 0,
      stderr: "",
    });
  });

  test("failures keep bun's failing status", () => {
    expect(summary(" 10 pass\n 3 fail\n", 1)).toMatchObject({ line: "10 passed, 3 failed, 0 errors", exitCode: 1 });
  });

  test("a file that failed to load fails the run even when bun exits 0", () => {
    expect(summary(" 10 pass\n 0 fail\n 1 error\n", 0)).toMatchObject({ line: "10 passed, 0 failed, 1 errors", exitCode: 1 });
    expect(summary(" 10 pass\n 0 fail\n 2 errors\n", 0)).toMatchObject({ line: "10 passed, 0 failed, 2 errors", exitCode: 1 });
  });

  test("the last summary counts, and a test name ending in 'pass' is not one", () => {
    expect(summary(" 1 pass\n 1 fail\n(pass) a > lets 5 pass\n 7 pass\n 0 fail\n", 0)).toMatchObject({ line: "7 passed, 0 failed, 0 errors", exitCode: 0 });
  });

  test("an empty log says 0 of each and keeps the status", () => {
    expect(summary("", 0)).toMatchObject({ line: "0 passed, 0 failed, 0 errors", exitCode: 0 });
    expect(summary("", 2)).toMatchObject({ line: "0 passed, 0 failed, 0 errors", exitCode: 2 });
  });
});
