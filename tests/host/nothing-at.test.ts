import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nothingAt } from "../../lib/host/nothing-at.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("nothingAt", () => {
  test("is true where stat(2) says ENOENT: no entry, a missing parent, a symlink to nothing", async () => {
    const root = await tempDir();
    symlinkSync(join(root, "absent"), join(root, "dangling"));
    for (const path of [join(root, "absent"), join(root, "a", "b", "c"), join(root, "dangling")]) expect([path, nothingAt(path)]).toEqual([path, true]);
  });

  test("is false for whatever is there: a file, a directory, a socket, a symlink to one", async () => {
    const root = await tempDir();
    writeFileSync(join(root, "regular"), "");
    mkdirSync(join(root, "directory"));
    symlinkSync(join(root, "directory"), join(root, "symlink"));
    const server = Bun.listen({ unix: join(root, "socket"), socket: { data() {} } });
    try {
      for (const name of ["regular", "directory", "symlink", "socket"]) expect([name, nothingAt(join(root, name))]).toEqual([name, false]);
    } finally {
      server.stop(true);
    }
  });

  test("is false when stat(2) fails otherwise: under a file, a name too long, past a directory we may not search", async () => {
    const root = await tempDir();
    writeFileSync(join(root, "file"), "");
    expect(nothingAt(join(root, "file", "x"))).toBe(false);
    expect(nothingAt(join(root, "x".repeat(256)))).toBe(false);
    mkdirSync(join(root, "closed"));
    chmodSync(join(root, "closed"), 0o000);
    chmodSync(root, 0o755);
    // Root without the capabilities that skip permission checks: still able to run this Bun
    // and read this file, wherever the checkout is, but stopped by a directory mode 0000.
    const checked = Bun.spawnSync(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", process.execPath, "-e",
      `const { nothingAt } = await import(${JSON.stringify(join(import.meta.dir, "../../lib/host/nothing-at.ts"))}); console.log(nothingAt(${JSON.stringify(join(root, "closed", "x"))}), nothingAt(${JSON.stringify(join(root, "absent"))}))`]);
    expect(checked.stdout.toString().trim()).toBe("false true");
  });
});
