import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { instanceNames, readRecord, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("instanceNames", () => {
  test("lists the directories under instances/, sorted, and nothing else: not files, not symlinks", async () => {
    const dataDir = await tempDir();
    const instances = join(dataDir, "instances");
    for (const name of ["web", "db", ".hidden", "a[b]*"]) mkdirSync(join(instances, name), { recursive: true });
    writeFileSync(join(instances, "stray"), "");
    symlinkSync(join(instances, "web"), join(instances, "link"));
    symlinkSync(join(instances, "nowhere"), join(instances, "dangling"));
    mkdirSync(join(instances, "db", "nested"));
    expect(await instanceNames(dataDir)).toEqual([".hidden", "a[b]*", "db", "web"]);
  });

  test("is empty when the data dir or its instances/ does not exist", async () => {
    const dataDir = join(await tempDir(), "none");
    expect(await instanceNames(dataDir)).toEqual([]);
    mkdirSync(dataDir);
    expect(await instanceNames(dataDir)).toEqual([]);
  });
});

describe("writeRecord", () => {
  test("writes the record readRecord reads, leaving no temp file", async () => {
    const dataDir = await tempDir();
    mkdirSync(join(dataDir, "instances", "vm"), { recursive: true });
    const record = { name: "vm", uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607", uri: "qemu:///system", machine: { arch: "x86_64" } } as unknown as InstanceRecord;
    await writeRecord(dataDir, record);
    expect(await readRecord(dataDir, "vm")).toEqual(record);
    expect(readdirSync(join(dataDir, "instances", "vm"))).toEqual(["instance.json"]);
  });
});
