import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandDef } from "citty";
import configCommand from "../../commands/config.ts";
import { setGlobals } from "../../commands/_action.ts";
import { streams } from "../../lib/cli/output.ts";
import { commands } from "../../commands/registry.ts";
import type { Globals } from "../../lib/cli/globals.ts";
import { loadConfig, type LoadedConfig } from "../../lib/host/config.ts";
import { useTempDirs } from "../_helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const tempDir = useTempDirs();

interface Row {
  key: string;
  value: string | number | boolean;
  origin: string;
}

/** Runs the command in-process with `config` in the globals, returning what it printed on stdout. */
async function runConfig(config: LoadedConfig, json: boolean): Promise<string> {
  const globals = { json, verbose: false, uri: config.settings.connect, dataDir: config.settings.dataDir, imageDir: config.settings.imageDir, signal: new AbortController().signal, config };
  setGlobals(globals as Globals);
  const chunks: string[] = [];
  const write = streams.out;
  streams.out = (text: string) => void chunks.push(text);
  try {
    await (configCommand as CommandDef).run!({ args: { _: [] }, rawArgs: [], cmd: configCommand as CommandDef } as never);
  } finally {
    streams.out = write;
  }
  return chunks.join("");
}

async function sampleConfig(): Promise<{ config: LoadedConfig; file: string }> {
  const file = join(await tempDir(), "config.toml");
  await writeFile(file, 'ram = 2048\n[baseUrls]\n"cloud.debian.org" = "http://127.0.0.1:8080"\n');
  const config = await loadConfig({ files: [file], env: { TESTCLOUD_VCPUS: "4" }, flags: { timeout: "60" }, uid: 1000 });
  return { config, file };
}

describe("testcloud config", () => {
  test("--json prints one array of {key, value, origin}", async () => {
    const { config, file } = await sampleConfig();
    const rows = JSON.parse(await runConfig(config, true)) as Row[];
    expect(Array.isArray(rows)).toBe(true);
    for (const row of rows) expect(Object.keys(row)).toEqual(["key", "value", "origin"]);
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey.ram).toEqual({ key: "ram", value: 2048, origin: file });
    expect(byKey.vcpus).toEqual({ key: "vcpus", value: 4, origin: "env:TESTCLOUD_VCPUS" });
    expect(byKey.timeout).toEqual({ key: "timeout", value: 60, origin: "flag:--timeout" });
    expect(byKey.user).toEqual({ key: "user", value: "cloud-user", origin: "default" });
    expect(byKey["baseUrls.cloud.debian.org"]).toEqual({ key: "baseUrls.cloud.debian.org", value: "http://127.0.0.1:8080", origin: file });
  });

  test("prints an aligned KEY VALUE ORIGIN table for humans", async () => {
    const { config, file } = await sampleConfig();
    const lines = (await runConfig(config, false)).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^KEY +VALUE +ORIGIN$/);
    const valueColumn = lines[0]!.indexOf("VALUE");
    const originColumn = lines[0]!.indexOf("ORIGIN");
    const ram = lines.find((l) => l.startsWith("ram "))!;
    expect(ram.indexOf("2048")).toBe(valueColumn);
    expect(ram.indexOf(file)).toBe(originColumn);
    expect(lines.length).toBe(JSON.parse(await runConfig(config, true)).length + 1);
  });
});

// Runs once the lead registers `config` in commands/registry.ts; then drop the `.if`.
describe("testcloud config in a child process", () => {
  test("bun cli.ts config --json reports a TESTCLOUD_* variable as the origin", async () => {
    const proc = Bun.spawn([BUN, "cli.ts", "config", "--json"], {
      cwd: ROOT,
      env: { ...process.env, TESTCLOUD_RAM: "3072", XDG_CONFIG_HOME: await tempDir() },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(exitCode).toBe(0);
    const rows = JSON.parse(stdout) as Row[];
    expect(rows.find((r) => r.key === "ram")).toEqual({ key: "ram", value: 3072, origin: "env:TESTCLOUD_RAM" });
  });

  test("a bad TESTCLOUD_* value exits 2 with E_CONFIG", async () => {
    const proc = Bun.spawn([BUN, "cli.ts", "config", "--json"], {
      cwd: ROOT,
      env: { ...process.env, TESTCLOUD_RAM: "lots", XDG_CONFIG_HOME: await tempDir() },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(exitCode).toBe(2);
    expect((JSON.parse(stdout) as { error: { code: string } }).error.code).toBe("E_CONFIG");
  });
});
