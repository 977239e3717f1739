import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { creationInProgress, creationMarked } from "../../lib/instance/creation-in-progress.ts";
import { markCreating, unmarkCreating } from "../../lib/instance/creation-lock.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();
const state = async (dir: string) => [await creationMarked(dir), await creationInProgress(dir)];

describe("creationMarked and creationInProgress", () => {
  test("a directory this process marks is marked and in progress, and neither once unmarked", async () => {
    const dir = await tempDir();
    markCreating(dir);
    expect(await state(dir)).toEqual([true, true]);
    unmarkCreating(dir);
    expect(await state(dir)).toEqual([false, false]);
  });

  test("a mark whose process is gone is marked, not in progress: a killed create", async () => {
    const dir = await tempDir();
    const dead = Bun.spawnSync(["true"]).pid;
    writeFileSync(join(dir, "creating.pid"), `${dead}\n`);
    expect(await state(dir)).toEqual([true, false]);
  });

  test("a live pid with another start time is a later process given a dead creator's pid", async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, "creating.pid"), `${process.pid} 1\n`);
    expect(await state(dir)).toEqual([true, false]);
    markCreating(dir);
    const [, started] = (await Bun.file(join(dir, "creating.pid")).text()).trim().split(" ");
    expect(started).toMatch(/^\d+$/);
  });

  test("a mark that names no pid is not in progress", async () => {
    const dir = await tempDir();
    for (const text of ["", "x 12\n", "-1\n", "0 5\n"]) {
      writeFileSync(join(dir, "creating.pid"), text);
      expect([text, await creationInProgress(dir)]).toEqual([text, false]);
    }
  });
});
