import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { imageUsage } from "../../lib/instance/image-usage.ts";
import { instancePaths, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import { useTempDirs } from "../_helpers.ts";
import { join } from "node:path";
import { templatePaths, writeTemplate, type TemplateRecord } from "../../lib/instance/template-state.ts";

const tempDir = useTempDirs();
const A = "a".repeat(64);
const B = "b".repeat(64);

async function instance(dataDir: string, name: string, digest: string): Promise<void> {
  await mkdir(instancePaths(dataDir, name).dir, { recursive: true });
  const image = { source: "https://example.org/x.qcow2", digest, path: `/cache/sha256-${digest}` };
  await writeRecord(dataDir, { name, image } as InstanceRecord);
}

describe("imageUsage", () => {
  test("maps each image digest to the instances whose overlay it backs", async () => {
    const dataDir = await tempDir();
    await instance(dataDir, "web", A);
    await instance(dataDir, "db", A);
    await instance(dataDir, "cache", B);
    expect(await imageUsage(dataDir)).toEqual(new Map([[A, ["db", "web"]], [B, ["cache"]]]));
  });

  test("skips directories without a readable record (a create in progress, a broken file)", async () => {
    const dataDir = await tempDir();
    await instance(dataDir, "web", A);
    await mkdir(instancePaths(dataDir, "creating").dir, { recursive: true });
    await mkdir(instancePaths(dataDir, "broken").dir, { recursive: true });
    await writeFile(instancePaths(dataDir, "broken").record, "{ not json");
    expect(await imageUsage(dataDir)).toEqual(new Map([[A, ["web"]]]));
  });

  test("counts every generation of a template as a user of its image, named template:NAME", async () => {
    const dataDir = await tempDir();
    await instance(dataDir, "web", A);
    for (const [generation, digest] of [["g1", A], ["g2", B]] as const) {
      await mkdir(join(templatePaths(dataDir, "base").dir, generation), { recursive: true });
      await writeTemplate(dataDir, { name: "base", generation, image: { source: "x", digest, path: "/cache/x" } } as TemplateRecord);
    }
    expect(await imageUsage(dataDir)).toEqual(new Map([[A, ["web", "template:base"]], [B, ["template:base"]]]));
  });

  test("is empty without instances", async () => {
    expect(await imageUsage(await tempDir())).toEqual(new Map());
  });
});
