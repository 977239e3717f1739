// scripts/test-leftovers.sh fails a CI run whose tests left anything in their temp dir.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";

const script = join(import.meta.dir, "../../scripts/test-leftovers.sh");

function leftovers(dir: string) {
  const result = Bun.spawnSync(["bash", script, dir], { stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("scripts/test-leftovers.sh", () => {
  test("an empty temp dir passes, silently", () => {
    expect(leftovers(scratchDir("tc-leftovers-"))).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });

  test("anything left fails, each entry named on stderr, and stays for the caller to remove", () => {
    const dir = scratchDir("tc-leftovers-");
    mkdirSync(join(dir, "tc-snap-a1b2c3"));
    writeFileSync(join(dir, "tc-snap-a1b2c3", "config"), "");
    writeFileSync(join(dir, "a name with spaces"), "");
    expect(leftovers(dir)).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `Tests left 2 entries in their temp dir "${dir}": every test must remove what it makes:\n  a name with spaces\n  tc-snap-a1b2c3\n`,
    });
    expect(leftovers(dir).exitCode).toBe(1);
  });

  test("a temp dir that is gone fails too", () => {
    const result = leftovers(join(scratchDir("tc-leftovers-"), "gone"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("No such file or directory");
  });
});
