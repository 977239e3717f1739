import { describe, expect, test } from "bun:test";
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../lib/host/run.ts";
import { treeManifest } from "../../lib/instance/_tree-manifest.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("treeManifest", () => {
  test("counts every name (the top included) and the bytes of regular files, as find . does", async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, "a/b"), { recursive: true });
    writeFileSync(join(dir, "a/b/f"), "12345");
    writeFileSync(join(dir, "g"), "xy");
    symlinkSync("a/b/f", join(dir, "link"));
    symlinkSync("/", join(dir, "root-link"));
    const manifest = treeManifest(dir);
    expect(manifest).toMatchObject({ entries: 7, bytes: 7, privileged: [] });
    expect(manifest.special).toBeUndefined();
  });

  test("agrees with find . on the number of entries", async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, "x/y/z"), { recursive: true });
    writeFileSync(join(dir, "x/y/z/f"), "");
    const found = await run(["find", dir]);
    expect(treeManifest(dir).entries).toBe(found.stdout.trim().split("\n").length);
  });

  test("names a fifo as special", async () => {
    const dir = await tempDir();
    await run(["mkfifo", join(dir, "pipe")]);
    expect(treeManifest(dir).special).toBe(join(dir, "pipe"));
  });

  test("names a file hard-linked to a name outside the tree, not one linked inside it", async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(dir, "inside"), "a");
    linkSync(join(dir, "inside"), join(dir, "inside-too"));
    expect(treeManifest(dir).linkedOutside).toBeUndefined();
    writeFileSync(join(outside, "secret"), "s");
    linkSync(join(outside, "secret"), join(dir, "alias"));
    expect(treeManifest(dir).linkedOutside).toBe(join(dir, "alias"));
  });

  test("lists setuid, setgid and sticky entries with their modes", async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, "suid"), "");
    chmodSync(join(dir, "suid"), 0o4755);
    mkdirSync(join(dir, "tmp"));
    chmodSync(join(dir, "tmp"), 0o1777);
    expect(treeManifest(dir).privileged.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: join(dir, "suid"), mode: 0o4755 },
      { path: join(dir, "tmp"), mode: 0o1777 },
    ]);
  });
});
