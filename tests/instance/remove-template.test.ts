import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { markCreating, unmarkCreating } from "../../lib/instance/creation-lock.ts";
import { listTemplates } from "../../lib/instance/list-templates.ts";
import { pruneGenerations, removeTemplate } from "../../lib/instance/remove-template.ts";
import { instancePaths, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import { templatePaths, writeTemplate, type TemplateRecord } from "../../lib/instance/template-state.ts";
import { testMachine } from "../_machine.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

/** A finished generation `generation` of template "base", made current. */
async function generation(dataDir: string, generation: string): Promise<string> {
  const dir = join(templatePaths(dataDir, "base").dir, generation);
  await mkdir(dir, { recursive: true });
  const image = { source: "file:///img.qcow2", digest: "a".repeat(64), path: "/cache/img" };
  await writeTemplate(dataDir, { name: "base", generation, image, machine: testMachine(), createdAt: "2026-12-05T10:00:00.000Z" } as TemplateRecord);
  return dir;
}

async function fork(dataDir: string, name: string, dir: string): Promise<void> {
  await mkdir(instancePaths(dataDir, name).dir, { recursive: true });
  await writeRecord(dataDir, { name, forkedFrom: { template: "base", dir, nicPort: 6 } } as InstanceRecord);
}

describe("removing templates", () => {
  test("removeTemplate refuses while a fork stands on any generation, naming the forks", async () => {
    const dataDir = await tempDir();
    const old = await generation(dataDir, "g1");
    await generation(dataDir, "g2");
    await fork(dataDir, "web1", old);
    await expect(removeTemplate(dataDir, "base")).rejects.toMatchObject({ code: "E_TEMPLATE_IN_USE", exitCode: 10, message: expect.stringContaining("web1") });
    expect((await listTemplates(dataDir))[0]).toMatchObject({ name: "base", forks: ["web1"] });
  });

  test("removeTemplate removes every generation once no fork uses them", async () => {
    const dataDir = await tempDir();
    await generation(dataDir, "g1");
    expect(await removeTemplate(dataDir, "base")).toEqual({ name: "base", removed: true });
    expect(existsSync(templatePaths(dataDir, "base").dir)).toBe(false);
    expect(await listTemplates(dataDir)).toEqual([]);
  });

  test("pruneGenerations keeps the current generation, those forks use, and those still being made", async () => {
    const dataDir = await tempDir();
    const used = await generation(dataDir, "g1");
    const unused = await generation(dataDir, "g2");
    const making = join(templatePaths(dataDir, "base").dir, "g3");
    await mkdir(making);
    const current = await generation(dataDir, "g4");
    await fork(dataDir, "web1", used);
    await pruneGenerations(dataDir, "base");
    expect([used, unused, making, current].map(existsSync)).toEqual([true, false, true, true]);
  });

  test("while an instance is being created (it may be a fork restoring an old generation), nothing is pruned or removed", async () => {
    const dataDir = await tempDir();
    const old = await generation(dataDir, "g1");
    await generation(dataDir, "g2");
    const creating = instancePaths(dataDir, "web2").dir;
    await mkdir(creating, { recursive: true });
    markCreating(creating);
    await pruneGenerations(dataDir, "base");
    expect(existsSync(old)).toBe(true);
    await expect(removeTemplate(dataDir, "base")).rejects.toMatchObject({ code: "E_TEMPLATE_IN_USE", message: expect.stringContaining("web2 is being created") });
    // The create done (its mark gone), nothing holds the template any more.
    unmarkCreating(creating);
    await pruneGenerations(dataDir, "base");
    expect(existsSync(old)).toBe(false);
    expect(await removeTemplate(dataDir, "base")).toEqual({ name: "base", removed: true });
  });
});
