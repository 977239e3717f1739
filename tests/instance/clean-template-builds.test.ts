import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Runner } from "../../lib/host/run.ts";
import { cleanTemplateBuilds, markBuilding } from "../../lib/instance/clean-template-builds.ts";
import { templatePaths } from "../../lib/instance/template-state.ts";
import { connect } from "../../lib/libvirt/virsh.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();
const UUID = "0123abcd-0000-4000-8000-000000000000";

/** A generation directory of template `name`, marked as built by `pid` (a dead one by default). */
function build(dataDir: string, name: string, uri: string, pid = 2 ** 22 + 1): string {
  const dir = join(templatePaths(dataDir, name).dir, "g1");
  mkdirSync(dir, { recursive: true });
  markBuilding(dir, { uri, uuid: UUID });
  if (pid !== process.pid) writeFileSync(join(dir, "creating.pid"), `${pid} 1\n`);
  return dir;
}

/** Runs clean with virsh answering that no domain has our UUID; returns what it cleaned and the virsh verbs. */
async function clean(dataDir: string, uri = "qemu:///system") {
  const verbs: string[] = [];
  const run: Runner = async (argv) => {
    verbs.push(argv[4]!);
    return { argv, exitCode: 1, stdout: "", stderr: "error: failed to get domain" };
  };
  return { cleaned: await cleanTemplateBuilds(connect(uri, run), dataDir), verbs };
}

describe("cleanTemplateBuilds", () => {
  test("removes a build whose process is gone, and the template's directory when nothing else is in it", async () => {
    const dataDir = await tempDir();
    build(dataDir, "base", "qemu:///system");
    const { cleaned, verbs } = await clean(dataDir);
    expect(cleaned).toEqual(["base"]);
    expect(verbs).not.toContain("destroy"); // no domain of ours was found
    expect(existsSync(templatePaths(dataDir, "base").dir)).toBe(false);
  });

  test("leaves a build in progress alone", async () => {
    const dataDir = await tempDir();
    const dir = build(dataDir, "base", "qemu:///system", process.pid);
    expect((await clean(dataDir)).cleaned).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  });

  test("leaves a build on another host to a clean with that host's connection", async () => {
    const dataDir = await tempDir();
    const dir = build(dataDir, "base", "qemu+ssh://root@lab/system");
    expect(await clean(dataDir)).toEqual({ cleaned: [], verbs: [] });
    expect(existsSync(dir)).toBe(true);
  });

  test("keeps finished generations and the template's record", async () => {
    const dataDir = await tempDir();
    const done = join(templatePaths(dataDir, "base").dir, "g0");
    mkdirSync(done, { recursive: true });
    writeFileSync(templatePaths(dataDir, "base").record, "{}");
    build(dataDir, "base", "qemu:///system");
    expect((await clean(dataDir)).cleaned).toEqual(["base"]);
    expect(existsSync(done)).toBe(true);
  });
});
