import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { applyFlags, configFiles, effectiveNetwork, loadConfig, settingRows, type FlagValues, type LoadedConfig } from "../../lib/host/config.ts";
import { usageFailure as failure, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

/** Writes the system and user files (when given) into a temp dir; never the real /etc. */
async function setup(etc?: string, user?: string): Promise<{ files: string[]; etc: string; user: string }> {
  const dir = await tempDir();
  const paths = { etc: join(dir, "etc-config.toml"), user: join(dir, "user-config.toml") };
  if (etc !== undefined) await writeFile(paths.etc, etc);
  if (user !== undefined) await writeFile(paths.user, user);
  return { files: [paths.etc, paths.user], ...paths };
}

async function load(etc?: string, user?: string, env: NodeJS.ProcessEnv = {}, flags: FlagValues = {}) {
  const where = await setup(etc, user);
  const config = await loadConfig({ files: where.files, env, flags, uid: 1000, cwd: "/work/here" });
  return { config, ...where };
}

describe("loadConfig layering", () => {
  // [label, /etc file, user file, env, flags, expected ram, expected origin of ram ("etc"/"user" = that file)]
  const cases: [string, string | undefined, string | undefined, NodeJS.ProcessEnv, FlagValues, number, string][] = [
    ["built-in default", undefined, undefined, {}, {}, 1024, "default"],
    ["/etc over the default", "ram = 2048", undefined, {}, {}, 2048, "etc"],
    ["the user file over /etc", "ram = 2048", "ram = 3072", {}, {}, 3072, "user"],
    ["the variable over both files", "ram = 2048", "ram = 3072", { TESTCLOUD_RAM: "4096" }, {}, 4096, "env:TESTCLOUD_RAM"],
    ["a flag over everything", "ram = 2048", "ram = 3072", { TESTCLOUD_RAM: "4096" }, { ram: "5120" }, 5120, "flag:--ram"],
    ["a typed flag value", undefined, undefined, {}, { ram: 640 }, 640, "flag:--ram"],
    ["/etc when the user file sets other keys", "ram = 2048", "vcpus = 4", {}, {}, 2048, "etc"],
    ["an empty variable counts as unset", "ram = 2048", undefined, { TESTCLOUD_RAM: "" }, {}, 2048, "etc"],
  ];

  test.each(cases)("%s", async (_label, etc, user, env, flags, ram, origin) => {
    const { config, ...paths } = await load(etc, user, env, flags);
    expect(config.settings.ram).toBe(ram);
    expect(config.origins.ram).toBe(origin === "etc" ? paths.etc : origin === "user" ? paths.user : origin);
  });

  test("each key keeps its own origin when sources mix", async () => {
    const { config, etc, user } = await load('user = "fedora"\nvcpus = 8', 'vcpus = 4\nvirtType = "qemu"', { TESTCLOUD_TIMEOUT: "60" }, { wait: "cloud-init" });
    expect(config.settings).toMatchObject({ user: "fedora", vcpus: 4, virtType: "qemu", timeout: 60, wait: "cloud-init", ram: 1024 });
    expect(config.origins).toMatchObject({ user: etc, vcpus: user, virtType: user, timeout: "env:TESTCLOUD_TIMEOUT", wait: "flag:--wait", ram: "default" });
  });

  test("has the documented defaults with nothing configured", async () => {
    const { config } = await load();
    expect(config.settings).toMatchObject({
      ram: 1024, vcpus: 2, diskSize: 0, timeout: 300, wait: "ssh", user: "cloud-user", network: "auto",
      defaultNetwork: "default", virtType: "auto", vnc: false, connect: "qemu:///session", sshConnectTimeout: 3, shutdownTimeout: 120,
    });
    for (const row of settingRows(config)) expect(`${row.key}: ${row.origin}`).toBe(`${row.key}: default`);
  });

  test("reads every type from TOML: integers, strings, booleans, sizes, tables", async () => {
    const toml = 'ram = 2048\nvnc = true\ndiskSize = "20G"\nconnect = "qemu:///system"\ndataDir = "/srv/tc"\n[baseUrls]\n"cloud.debian.org" = "http://127.0.0.1:8080"\n';
    const { config } = await load(undefined, toml);
    expect(config.settings).toMatchObject({ ram: 2048, vnc: true, diskSize: 20 * 2 ** 30, connect: "qemu:///system", dataDir: "/srv/tc" });
    expect(config.settings.baseUrls["cloud.debian.org"]).toBe("http://127.0.0.1:8080");
  });

  test.each([
    ["TESTCLOUD_VNC", "yes", "vnc", true],
    ["TESTCLOUD_VNC", "0", "vnc", false],
    ["TESTCLOUD_DISK_SIZE", "512M", "diskSize", 512 * 2 ** 20],
    ["TESTCLOUD_VIRT_TYPE", "kvm", "virtType", "kvm"],
    ["TESTCLOUD_DEFAULT_NETWORK", "testnet", "defaultNetwork", "testnet"],
    ["TESTCLOUD_SHUTDOWN_TIMEOUT", "30", "shutdownTimeout", 30],
  ] as const)("reads %s=%p as %s", async (variable, text, key, value) => {
    const { config } = await load(undefined, undefined, { [variable]: text });
    expect(config.settings[key]).toBe(value);
    expect(config.origins[key]).toBe(`env:${variable}`);
  });
});

describe("loadConfig connection and paths", () => {
  test("connects to the system daemon as root and the session daemon otherwise", async () => {
    const { files } = await setup();
    expect((await loadConfig({ files, env: {}, uid: 0 })).settings.connect).toBe("qemu:///system");
    expect((await loadConfig({ files, env: {}, uid: 1000 })).settings.connect).toBe("qemu:///session");
  });

  test("takes LIBVIRT_DEFAULT_URI as the default, below testcloud's own files and variables", async () => {
    const env = { LIBVIRT_DEFAULT_URI: "qemu:///system" };
    const plain = await load(undefined, undefined, env);
    expect([plain.config.settings.connect, plain.config.origins.connect]).toEqual(["qemu:///system", "env:LIBVIRT_DEFAULT_URI"]);
    const file = await load(undefined, 'connect = "test:///default"', env);
    expect([file.config.settings.connect, file.config.origins.connect]).toEqual(["test:///default", file.user]);
    const both = await load(undefined, 'connect = "test:///default"', { ...env, TESTCLOUD_CONNECT: "qemu+ssh://h/system" });
    expect([both.config.settings.connect, both.config.origins.connect]).toEqual(["qemu+ssh://h/system", "env:TESTCLOUD_CONNECT"]);
  });

  test("resolves a relative TESTCLOUD_DATA_DIR against the working directory, as before", async () => {
    const { config } = await load(undefined, undefined, { TESTCLOUD_DATA_DIR: "tc-data" });
    expect(config.settings.dataDir).toBe("/work/here/tc-data");
  });

  test("puts the image cache under the data dir wherever that came from, unless set", async () => {
    const follows = await load(undefined, 'dataDir = "/srv/tc"');
    expect([follows.config.settings.imageDir, follows.config.origins.imageDir]).toEqual(["/srv/tc/images", "default"]);
    const own = await load(undefined, 'dataDir = "/srv/tc"\nimageDir = "/cache/tc"');
    expect([own.config.settings.imageDir, own.config.origins.imageDir]).toEqual(["/cache/tc", own.user]);
  });

  test("uses XDG_DATA_HOME for a user's default data dir", async () => {
    const { config } = await load(undefined, undefined, { XDG_DATA_HOME: "/home/u/data" });
    expect(config.settings.dataDir).toBe("/home/u/data/testcloud");
  });

  test("overrides one base URL per host and keeps the rest, each with its origin", async () => {
    // Unquoted, TOML reads the host name as nested tables; it still means the host.
    const { config, etc, user } = await load('[baseUrls]\n"cloud.debian.org" = "http://mirror/debian"', "[baseUrls]\ncloud-images.ubuntu.com = \"https://m/ubuntu\"\n");
    expect(config.settings.baseUrls).toMatchObject({
      "cloud.debian.org": "http://mirror/debian",
      "cloud-images.ubuntu.com": "https://m/ubuntu",
      "fedoraproject.org": "https://fedoraproject.org",
    });
    expect(config.origins["baseUrls.cloud.debian.org"]).toBe(etc);
    expect(config.origins["baseUrls.cloud-images.ubuntu.com"]).toBe(user);
    expect(config.origins["baseUrls.fedoraproject.org"]).toBe("default");
  });

  test("skips config files that do not exist", async () => {
    const { config } = await load(undefined, undefined);
    expect(Object.values(config.origins).every((o) => o === "default")).toBe(true);
  });

  test("offers the hosts the image resolvers read, each at its real https URL", async () => {
    const { DISTROS } = await import("../../lib/image/resolve/distros.ts");
    const { config } = await load();
    const hosts = [...new Set(DISTROS.flatMap((distro) => distro.hosts))].sort();
    expect(Object.keys(config.settings.baseUrls).sort()).toEqual(hosts);
    for (const host of hosts) expect(config.settings.baseUrls[host]).toBe(`https://${host}`);
  });
});

describe("loadConfig errors", () => {
  // [label, user file, what the message must contain after the file name]
  const cases: [string, string, string][] = [
    ["an unknown key", "colour = 1", 'unknown key "colour"'],
    ["a snake_case key, with the right name suggested", 'virt_type = "qemu"', 'unknown key "virt_type": did you mean "virtType"?'],
    ["an unknown table", "[images]\nx = 1", 'unknown key "images"'],
    ["ram as a string", 'ram = "1024"', '"ram" must be a whole number of MiB, at least 64: got "1024"'],
    ["ram as a fraction", "ram = 1.5", '"ram" must be a whole number of MiB, at least 64: got 1.5'],
    ["ram below the minimum", "ram = 32", '"ram" must be a whole number of MiB, at least 64: got 32'],
    ["vcpus zero", "vcpus = 0", '"vcpus" must be a whole number, at least 1: got 0'],
    ["vnc as a string", 'vnc = "yes"', '"vnc" must be true or false: got "yes"'],
    ["an unknown virtType", 'virtType = "xen"', '"virtType" must be one of "auto", "kvm", "qemu": got "xen"'],
    ["a relative dataDir", 'dataDir = "data"', '"dataDir" must be an absolute path: got "data"'],
    ["a user name with capitals", 'user = "Root"', '"user" must be a Linux user name'],
    ["a size without a number", 'diskSize = "big"', '"diskSize" must be a size such as "20G"'],
    ["a size as a bare integer", "diskSize = 20", '"diskSize" must be a size'],
    ["a URI without a scheme", 'connect = "localhost"', '"connect" must be a libvirt URI'],
    ["baseUrls that is not a table", 'baseUrls = "x"', '"baseUrls" must be a table of host names to URLs'],
    ["an unknown base URL host", '[baseUrls]\n"example.org" = "https://x"', 'unknown host "baseUrls.example.org"'],
    ["a base URL that is not http", '[baseUrls]\n"cloud.debian.org" = "ftp://x"', '"baseUrls.cloud.debian.org" must be an http(s) URL'],
    ["a TOML syntax error, with its line", "ram = 2048\nvcpus = \n", "line 2: Missing value after '='"],
    ["a duplicate key, with its line", "ram = 2048\nvcpus = 2\nram = 4096\n", "line 3: Cannot redefine key 'ram'"],
  ];

  test.each(cases)("%s is E_CONFIG naming the file and the key", async (_label, toml, detail) => {
    const where = await setup(undefined, toml);
    const error = await failure(() => loadConfig({ files: where.files, env: {}, uid: 1000 }));
    expect(error.code).toBe("E_CONFIG");
    expect(error.exitCode).toBe(2);
    expect(error.message).toStartWith(`Invalid config: "${where.user}": `);
    expect(error.message).toContain(detail);
  });

  test("names the system file when the error is there", async () => {
    const where = await setup("ram = -1", "ram = 2048");
    const error = await failure(() => loadConfig({ files: where.files, env: {}, uid: 1000 }));
    expect(error.message).toBe(`Invalid config: "${where.etc}": "ram" must be a whole number of MiB, at least 64: got -1`);
  });

  test("names the variable and the key for a bad TESTCLOUD_* value", async () => {
    const where = await setup();
    const error = await failure(() => loadConfig({ files: where.files, env: { TESTCLOUD_VCPUS: "many" }, uid: 1000 }));
    expect([error.code, error.message]).toEqual(["E_CONFIG", 'Invalid config: TESTCLOUD_VCPUS: "vcpus" must be a whole number, at least 1: got "many"']);
  });

  test("reports a config path it cannot read (here a directory)", async () => {
    const dir = join(await tempDir(), "config.toml");
    await mkdir(dir);
    const error = await failure(() => loadConfig({ files: [dir], env: {}, uid: 1000 }));
    expect(error.code).toBe("E_CONFIG");
    expect(error.message).toStartWith(`Cannot read config: "${dir}": `);
  });

  test("rejects a bad flag as a usage error naming the flag", async () => {
    const { config } = await load();
    const error = await failure(() => applyFlags(config, { ram: "12x" }));
    expect([error.code, error.message]).toEqual(["E_USAGE", 'Invalid --ram: "12x": must be a whole number of MiB, at least 64']);
    const typed = await failure(() => applyFlags(config, { virtType: "xen" as "kvm" }));
    expect(typed.message).toBe('Invalid --virt-type: "xen": must be one of "auto", "kvm", "qemu"');
  });
});

describe("applyFlags", () => {
  test("puts a command's flags on top without losing the other origins", async () => {
    const { config, user } = await load(undefined, "vcpus = 4\nram = 2048");
    const applied = applyFlags(config, { ram: "512", diskSize: "10G", vnc: true });
    expect(applied.settings).toMatchObject({ ram: 512, vcpus: 4, diskSize: 10 * 2 ** 30, vnc: true });
    expect(applied.origins).toMatchObject({ ram: "flag:--ram", vcpus: user, diskSize: "flag:--disk-size", vnc: "flag:--vnc" });
    expect(config.settings.ram).toBe(2048);
  });

  test("ignores flags that were not given", async () => {
    const { config } = await load(undefined, "ram = 2048");
    expect(applyFlags(config, { ram: undefined }).settings.ram).toBe(2048);
  });

  test("moves a derived image dir along with a --data-dir flag", async () => {
    const { config } = await load();
    const applied = applyFlags(config, { dataDir: "rel" }, "/cwd");
    expect([applied.settings.dataDir, applied.settings.imageDir]).toEqual(["/cwd/rel", "/cwd/rel/images"]);
  });
});

describe("effectiveNetwork", () => {
  const cases: [string, string, string, string][] = [
    ["auto", "qemu:///session", "default", "user"],
    ["auto", "qemu:///system", "default", "default"],
    ["auto", "qemu:///system", "testnet", "testnet"],
    ["user", "qemu:///system", "default", "user"],
    ["isolated", "qemu:///session", "default", "isolated"],
  ];
  test.each(cases)("network %p on %p with default %p is %p", (network, connect, defaultNetwork, expected) => {
    expect(effectiveNetwork({ network, connect, defaultNetwork })).toBe(expected);
  });
});

describe("configFiles", () => {
  test.each([
    ["~/.config without XDG_CONFIG_HOME", { HOME: "/home/u" }, "/home/u/.config/testcloud/config.toml"],
    ["XDG_CONFIG_HOME when absolute", { HOME: "/home/u", XDG_CONFIG_HOME: "/xdg" }, "/xdg/testcloud/config.toml"],
    ["~/.config when XDG_CONFIG_HOME is relative", { HOME: "/home/u", XDG_CONFIG_HOME: "relative" }, "/home/u/.config/testcloud/config.toml"],
  ])("reads /etc first, then the user's file: %s", (_label, env, user) => {
    expect(configFiles(env)).toEqual(["/etc/testcloud/config.toml", user]);
  });
});

describe("settingRows", () => {
  test("lists every setting once, with the effective value and origin", async () => {
    const { config, user } = await load(undefined, 'ram = 2048\n[baseUrls]\n"cloud.debian.org" = "http://m"');
    const rows = settingRows(config);
    const keys = rows.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.slice(0, 4)).toEqual(["arch", "ram", "vcpus", "diskSize"]);
    expect(keys).toContain("imageDir");
    expect(rows.find((r) => r.key === "ram")).toEqual({ key: "ram", value: 2048, origin: user });
    expect(rows.find((r) => r.key === "baseUrls.cloud.debian.org")).toEqual({ key: "baseUrls.cloud.debian.org", value: "http://m", origin: user });
    const scalarKeys = keys.filter((k) => !k.startsWith("baseUrls."));
    expect(scalarKeys.sort()).toEqual(Object.keys(config.settings).filter((k) => k !== "baseUrls" && k !== "hosts").sort());
  });

  test("has a row for every configurable base URL host", async () => {
    const { config }: { config: LoadedConfig } = await load();
    const hosts = settingRows(config).filter((r) => r.key.startsWith("baseUrls.")).map((r) => r.key.slice("baseUrls.".length));
    expect(hosts).toEqual(Object.keys(config.settings.baseUrls).sort());
    expect(hosts.length).toBeGreaterThan(5);
  });
});
