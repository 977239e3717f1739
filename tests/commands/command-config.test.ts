/**
 * commandConfig, the one way a command gets its effective settings (main()'s config with the
 * command's flags on top), and the image settings it carries as `testcloud config` shows them.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { commandConfig } from "../../commands/_action.ts";
import type { Globals } from "../../lib/cli/globals.ts";
import { loadConfig } from "../../lib/host/config.ts";
import { useTempDirs } from "../_helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const tempDir = useTempDirs();

function globals(extra: Partial<Globals> = {}): Globals {
  return { json: true, verbose: false, uri: "test:///default", dataDir: "/nonexistent", imageDir: "/nonexistent/images", signal: new AbortController().signal, ...extra };
}

describe("commandConfig", () => {
  const saved = process.env.TESTCLOUD_OFFLINE;
  afterEach(() => {
    if (saved === undefined) delete process.env.TESTCLOUD_OFFLINE;
    else process.env.TESTCLOUD_OFFLINE = saved;
  });

  test("puts a command's --no-offline over offline = true in the config main() loaded", async () => {
    const file = join(await tempDir(), "config.toml");
    await writeFile(file, "offline = true\n");
    const config = await loadConfig({ files: [file], env: {}, uid: 1000 });
    expect((await commandConfig(globals({ config }))).settings.offline).toBe(true);
    const off = await commandConfig(globals({ config }), { offline: false });
    expect([off.settings.offline, off.origins.offline]).toEqual([false, "flag:--offline"]);
  });

  test("loads the config itself when main() has not, as when a test runs a command alone", async () => {
    process.env.TESTCLOUD_OFFLINE = "1";
    const loaded = await commandConfig(globals());
    expect([loaded.settings.offline, loaded.origins.offline]).toEqual([true, "env:TESTCLOUD_OFFLINE"]);
  });
});

describe("testcloud config shows the image settings", () => {
  test("offline from the user's config file and a mirror from TESTCLOUD_MIRRORS, each with its origin", async () => {
    const home = await tempDir();
    await mkdir(join(home, "testcloud"));
    const file = join(home, "testcloud", "config.toml");
    await writeFile(file, 'offline = true\n[baseUrls]\n"cloud.debian.org" = "http://127.0.0.1:9/debian"\n');
    const env: Record<string, string | undefined> = { ...process.env, XDG_CONFIG_HOME: home, TESTCLOUD_MIRRORS: '{"dl.rockylinux.org":"http://127.0.0.1:9/rocky"}' };
    delete env.TESTCLOUD_OFFLINE;
    const proc = Bun.spawn([BUN, "cli.ts", "config", "--json"], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(exitCode).toBe(0);
    const rows = JSON.parse(stdout) as { key: string; value: unknown; origin: string }[];
    expect(rows).toContainEqual({ key: "offline", value: true, origin: file });
    expect(rows).toContainEqual({ key: "baseUrls.cloud.debian.org", value: "http://127.0.0.1:9/debian", origin: file });
    expect(rows).toContainEqual({ key: "baseUrls.dl.rockylinux.org", value: "http://127.0.0.1:9/rocky", origin: "env:TESTCLOUD_MIRRORS" });
  });
});
