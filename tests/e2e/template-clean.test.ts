// A `template create` killed with -9 while its template boots: Ctrl-C rolls back by itself,
// a kill leaves the transient domain and the generation directory to `clean`.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BIN, cli, dataDir, readUntil, testImage, uniqueName, URI, virsh } from "./_env.ts";

const name = uniqueName("tplkill");
const domain = `template.${name}`;

afterAll(async () => {
  // Only when the test failed half-way: the domain is this test's own.
  if ((await virsh("dominfo", domain)).exitCode === 0) await virsh("destroy", domain);
});

/** Starts `template create` and resolves once it says the template's domain is running. */
async function templateCreateStarted() {
  const proc = Bun.spawn([BIN, "--connect", URI, "template", "create", name, testImage("tiny"), "--network", "user", "--ram", "256"], {
    env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir },
    stdout: "ignore",
    stderr: "pipe",
  });
  await readUntil(proc.stderr.getReader(), "Started template");
  return proc;
}

describe("kill -9 of template create", () => {
  test("while the template boots: clean stops its domain and removes the unfinished build", async () => {
    const proc = await templateCreateStarted();
    proc.kill("SIGKILL");
    await proc.exited;
    expect((await virsh("domstate", domain)).stdout.trim()).toBe("running");
    expect(existsSync(join(dataDir, "templates", name))).toBe(true);

    const clean = await cli(["clean", "--json"]);
    expect(clean.exitCode).toBe(0);
    expect(clean.json).toContainEqual({ name, removed: "template build", reason: "template create did not finish" });
    expect((await virsh("dominfo", domain)).exitCode).not.toBe(0);
    expect(existsSync(join(dataDir, "templates", name))).toBe(false);
    const templates = await cli(["template", "list", "--json"]);
    expect(templates.json.map((t: { name: string }) => t.name)).not.toContain(name);
    // Nothing left for a second clean.
    expect((await cli(["clean", "--json"])).json.filter((c: { name: string }) => c.name === name)).toEqual([]);
  }, 120_000);
});
