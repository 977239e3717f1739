/**
 * `create` takes `offline` from the layered config like `image pull`: the real CLI in a child
 * process, libvirt's daemon-less test driver for the checks before the image, and a real
 * HTTP server that must see no request.
 */
import { describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { useTempDirs } from "../_helpers.ts";
import { rawDisk, useImageServer } from "../image/_image-server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const server = useImageServer();
const tempDir = useTempDirs();

/** `testcloud create IMAGE … --json` with `toml` as the user's config file and its own data dir. */
async function create(image: string, flags: string[], toml: string, env: Record<string, string> = {}) {
  const home = await tempDir();
  const dataDir = await tempDir();
  await Bun.write(join(home, "testcloud", "config.toml"), toml);
  const base: Record<string, string | undefined> = { ...process.env, XDG_CONFIG_HOME: home, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_CONNECT: "test:///default" };
  delete base.TESTCLOUD_OFFLINE;
  delete base.TESTCLOUD_MIRRORS;
  const argv = [BUN, "cli.ts", "create", image, "--network", "default", "--ram", "128", "--vcpus", "1", "--no-wait", "--json", ...flags];
  const proc = Bun.spawn(argv, { cwd: ROOT, env: { ...base, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { exitCode, json: JSON.parse(stdout), dataDir };
}

describe("create with offline set", () => {
  const mirror = () => `[baseUrls]\n"fedoraproject.org" = "${server.url("/fp")}"\n"download.fedoraproject.org" = "${server.url("/dl")}"\n`;
  // [label, image (null: a URL on the server), flags, config file, env]
  const cases: [string, string | null, string[], () => string, Record<string, string>][] = [
    ["offline = true in the config, an uncached URL", null, [], () => "offline = true\n", {}],
    ["offline = true in the config, a shortcut whose [baseUrls] mirror is the server", "fedora:41", ["--arch", "x86_64"], () => `offline = true\n${mirror()}`, {}],
    ["TESTCLOUD_OFFLINE=1 over offline = false", null, [], () => "offline = false\n", { TESTCLOUD_OFFLINE: "1" }],
    ["--offline over offline = false", null, ["--offline"], () => "offline = false\n", {}],
  ];

  test.each(cases)("%s: exits 4 with E_NOT_CACHED, sends no request and leaves no instance", async (_label, image, flags, toml, env) => {
    server.put("/disk.raw", rawDisk(64 << 10));
    const result = await create(image ?? server.url("/disk.raw"), flags, toml(), env);
    expect(result.exitCode).toBe(4);
    expect(result.json.error).toMatchObject({ code: "E_NOT_CACHED", exitCode: 4 });
    expect(server.log).toEqual([]);
    // The data dir's own folders may exist; no instance may.
    expect((await readdir(result.dataDir)).filter((entry) => entry !== "images" && entry !== "instances")).toEqual([]);
    expect(await readdir(join(result.dataDir, "instances")).catch(() => [])).toEqual([]);
  });
});
