import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DependencyError } from "../../lib/errors.ts";
import { checkDataDir } from "../../lib/host/check-data-dir.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

/** The error checkDataDir throws for `dir`, or undefined when it accepts it. */
async function refusal(dir: string, kind?: "image"): Promise<DependencyError | undefined> {
  return (await checkDataDir(dir, 0, kind).catch((error: unknown) => error)) as DependencyError | undefined;
}

async function dir(mode = 0o700, owner = 0, group = 0): Promise<string> {
  const path = join(await tempDir(), "data");
  mkdirSync(path);
  chownSync(path, owner, group);
  chmodSync(path, mode);
  return path;
}

describe("checkDataDir", () => {
  test("accepts a missing directory: there is nothing in it to trust", async () => {
    expect(await refusal(join(await tempDir(), "none"))).toBeUndefined();
  });

  test("accepts a directory only its owner can write, and a symlink to one", async () => {
    const good = await dir(0o755);
    const link = join(await tempDir(), "link");
    symlinkSync(good, link);
    expect([await refusal(good), await refusal(link)]).toEqual([undefined, undefined]);
  });

  test("refuses a file, naming it and the setting to change", async () => {
    const file = join(await tempDir(), "file");
    writeFileSync(file, "");
    const error = await refusal(file);
    expect(error).toBeInstanceOf(DependencyError);
    expect([error!.code, error!.message, error!.hint]).toEqual([
      "E_PERMISSION",
      `Data directory unusable: "${file}": not a directory`,
      "set TESTCLOUD_DATA_DIR (or dataDir in the config) to a directory only you or root can write",
    ]);
  });

  test("refuses a directory another user owns", async () => {
    const path = await dir(0o700, 1234);
    expect((await refusal(path))?.message).toBe(`Data directory unusable: "${path}": owned by uid 1234, not by you or root`);
  });

  test("refuses a directory others, or a group other than root's or ours, can write", async () => {
    const open = await dir(0o777);
    expect((await refusal(open))?.message).toBe(`Data directory unusable: "${open}": others can write it (mode 0777)`);
    const group = await dir(0o770, 0, 1234);
    expect((await refusal(group, "image"))?.message).toBe(`Image directory unusable: "${group}": others can write it (mode 0770)`);
    expect(await refusal(await dir(0o770, 0, 0))).toBeUndefined();
  });

  test("refuses a path it cannot look at with the system's reason, as stat(2) gives it", async () => {
    const file = join(await tempDir(), "file");
    writeFileSync(file, "");
    const below = join(file, "data");
    expect((await refusal(below))?.message).toBe(`Data directory unusable: "${below}": ENOTDIR: not a directory, stat '${below}'`);
  });
});
