// testcloud as a library: the package `npm pack` makes, installed by name into a scratch
// project, creates and removes a real instance through its typed API.
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { dataDir, leftBehind, NETWORK, testImage, uniqueName, URI } from "./_env.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

/** Runs a tool in a directory; fails the test with its stderr when it fails, unless told not to. */
async function run(argv: string[], options: { cwd: string; allowFailure?: boolean }) {
  const proc = Bun.spawn(argv, { cwd: options.cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (exitCode !== 0 && !options.allowFailure) throw new Error(`${argv.join(" ")}: exit ${exitCode}: ${stderr}`);
  return { stdout, stderr, exitCode };
}

describe("the npm package", () => {
  test("installed from its tarball, `import { open } from \"testcloud\"` creates, runs a command in, and removes an instance, and forks one from a template", async () => {
    const scratch = scratchDir("tce2e-package-");
    chmodSync(scratch, 0o755);
    const packed = await run(["npm", "pack", "--silent", "--pack-destination", scratch], { cwd: ROOT });
    const tarball = join(scratch, packed.stdout.trim().split("\n").at(-1)!);
    const project = join(scratch, "project");
    await run(["mkdir", project], { cwd: scratch });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
    await run(["npm", "install", "--silent", "--no-audit", "--no-fund", tarball], { cwd: project });

    const name = uniqueName("library");
    const forkName = uniqueName("libfork");
    const templateName = `tce2e-libtpl-${name.slice(-5)}`;
    writeFileSync(
      join(project, "script.ts"),
      `import { open, TestcloudError } from "testcloud";
const tc = await open({ uri: ${JSON.stringify(URI)}, dataDir: ${JSON.stringify(dataDir)} });
const vm = await tc.create(${JSON.stringify(testImage("tiny"))}, { name: ${JSON.stringify(name)}, network: ${JSON.stringify(NETWORK)}, machine: { ...tc.config.settings, ram: 256 } });
const hostname = (await tc.exec(vm.name, ["hostname"])).stdout.trim();
const listed = (await tc.list()).map((i) => i.name);
let missing = "";
try { await tc.info("no-such-instance"); } catch (error) { missing = error instanceof TestcloudError ? error.code : "?"; }
const removed = await tc.remove(vm.name, { force: true });
// A template of the same image, and a fork of it.
const machine = { ...tc.config.settings, ram: 256 };
const template = await tc.templates.create(${JSON.stringify(templateName)}, ${JSON.stringify(testImage("tiny"))}, { network: "user", machine });
const fork = await tc.fork(template.name, { name: ${JSON.stringify(forkName)} });
const forkHostname = (await tc.exec(fork.name, ["hostname"])).stdout.trim();
const templates = (await tc.templates.list()).map((t) => t.name);
await tc.remove(fork.name, { force: true });
const removedTemplate = (await tc.templates.remove(template.name)).name;
console.log(JSON.stringify({ name: vm.name, state: vm.state, hostname, listed, missing, removed, forkHostname, templates, removedTemplate }));
`,
    );
    const result = await run([BUN, "script.ts"], { cwd: project, allowFailure: true });
    expect({ exitCode: result.exitCode, stderr: result.exitCode ? result.stderr : "" }).toEqual({ exitCode: 0, stderr: "" });
    const out = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(out).toEqual({
      name,
      state: "running",
      hostname: name,
      listed: expect.arrayContaining([name]),
      missing: "E_INSTANCE_NOT_FOUND",
      removed: { name, removedDomain: true, removedFiles: true },
      forkHostname: forkName,
      templates: expect.arrayContaining([templateName]),
      removedTemplate: templateName,
    });
    for (const n of [name, forkName]) expect(await leftBehind(n)).toEqual([]);
  }, 300_000);
});
