/**
 * The image store's settings in the layered config: `offline` (TOML, TESTCLOUD_OFFLINE,
 * --offline/--no-offline) and the [baseUrls] table with TESTCLOUD_MIRRORS as its variable.
 */
import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { applyFlags, loadConfig, settingRows, type FlagValues } from "../../lib/host/config.ts";
import { usageFailure as failure, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

/** Loads the config with `toml` as the user's file (when given), `env` and `flags`. */
async function load(toml?: string, env: NodeJS.ProcessEnv = {}, flags: FlagValues = {}) {
  const file = join(await tempDir(), "config.toml");
  if (toml !== undefined) await writeFile(file, toml);
  const config = await loadConfig({ files: [file], env, flags, uid: 1000, cwd: "/work/here" });
  return { config, file };
}

describe("the offline setting", () => {
  // [label, config file, env, flags, expected offline, expected origin ("file" = the config file)]
  const cases: [string, string | undefined, NodeJS.ProcessEnv, FlagValues, boolean, string][] = [
    ["is off by default", undefined, {}, {}, false, "default"],
    ["is read from a config file", "offline = true\n", {}, {}, true, "file"],
    ["is read from TESTCLOUD_OFFLINE", undefined, { TESTCLOUD_OFFLINE: "1" }, {}, true, "env:TESTCLOUD_OFFLINE"],
    ["takes TESTCLOUD_OFFLINE=0 over the file", "offline = true\n", { TESTCLOUD_OFFLINE: "0" }, {}, false, "env:TESTCLOUD_OFFLINE"],
    ["takes --offline over the file", "offline = false\n", {}, { offline: true }, true, "flag:--offline"],
    ["takes --no-offline over the file and the variable", "offline = true\n", { TESTCLOUD_OFFLINE: "yes" }, { offline: false }, false, "flag:--offline"],
    ["ignores an absent flag", "offline = true\n", {}, { offline: undefined }, true, "file"],
  ];

  test.each(cases)("%s", async (_label, toml, env, flags, offline, origin) => {
    const { config, file } = await load(toml, env, flags);
    expect(config.settings.offline).toBe(offline);
    expect(config.origins.offline).toBe(origin === "file" ? file : origin);
  });

  test("a command's --no-offline goes on top of the loaded config, as create and image pull apply it", async () => {
    const { config, file } = await load("offline = true\n");
    const applied = applyFlags(config, { offline: false });
    expect([applied.settings.offline, applied.origins.offline]).toEqual([false, "flag:--offline"]);
    expect([config.settings.offline, config.origins.offline]).toEqual([true, file]);
  });

  test("has a row in `testcloud config` with its origin", async () => {
    const { config, file } = await load("offline = true\n");
    expect(settingRows(config).find((r) => r.key === "offline")).toEqual({ key: "offline", value: true, origin: file });
  });

  test("refuses a string in TOML as E_CONFIG", async () => {
    const { file } = await load();
    await writeFile(file, 'offline = "yes"\n');
    const error = await failure(() => loadConfig({ files: [file], env: {}, uid: 1000 }));
    expect([error.code, error.message]).toEqual(["E_CONFIG", `Invalid config: "${file}": "offline" must be true or false: got "yes"`]);
  });

  test("refuses a TESTCLOUD_OFFLINE that is not a boolean as E_CONFIG", async () => {
    const error = await failure(() => load(undefined, { TESTCLOUD_OFFLINE: "sometimes" }));
    expect([error.code, error.message]).toEqual(["E_CONFIG", 'Invalid config: TESTCLOUD_OFFLINE: "offline" must be true or false: got "sometimes"']);
  });

  test("refuses a bad --offline value as a usage error naming the flag", async () => {
    const { config } = await load();
    const error = await failure(() => applyFlags(config, { offline: "perhaps" }));
    expect([error.code, error.message]).toEqual(["E_USAGE", 'Invalid --offline: "perhaps": must be true or false']);
  });
});

describe("TESTCLOUD_MIRRORS as the [baseUrls] variable", () => {
  const mirrors = (map: Record<string, string>) => ({ TESTCLOUD_MIRRORS: JSON.stringify(map) });

  test("goes on top of the config file host by host, each with its origin", async () => {
    const toml = '[baseUrls]\n"cloud.debian.org" = "http://file/debian"\n"dl.rockylinux.org" = "http://file/rocky"\n';
    const { config, file } = await load(toml, mirrors({ "dl.rockylinux.org": "http://env/rocky" }));
    expect(config.settings.baseUrls).toMatchObject({
      "cloud.debian.org": "http://file/debian",
      "dl.rockylinux.org": "http://env/rocky",
      "fedoraproject.org": "https://fedoraproject.org",
    });
    const origin = (host: string) => settingRows(config).find((r) => r.key === `baseUrls.${host}`)?.origin;
    expect([origin("cloud.debian.org"), origin("dl.rockylinux.org"), origin("fedoraproject.org")]).toEqual([file, "env:TESTCLOUD_MIRRORS", "default"]);
  });

  test("counts as unset when empty", async () => {
    const { config } = await load(undefined, { TESTCLOUD_MIRRORS: " " });
    expect(Object.values(config.origins).every((o) => o === "default")).toBe(true);
  });

  test.each([
    ["text that is not JSON", "{oops", "Invalid TESTCLOUD_MIRRORS: not JSON"],
    ["an unknown host", '{"example.org": "https://x"}', 'Unknown host in TESTCLOUD_MIRRORS: "example.org"'],
    ["a URL that is not http", '{"cloud.debian.org": "ftp://x"}', 'Invalid base URL in TESTCLOUD_MIRRORS for "cloud.debian.org"'],
  ])("refuses %s as E_CONFIG, as any bad TESTCLOUD_* value", async (_label, text, message) => {
    const error = await failure(() => load(undefined, { TESTCLOUD_MIRRORS: text }));
    expect([error.code, error.exitCode]).toEqual(["E_CONFIG", 2]);
    expect(error.message).toStartWith(message);
    expect(error.hint).toBeString();
  });
});
