// Config files and URIs another user could plant: run as root, testcloud must not obey them.
import { describe, expect, test } from "bun:test";
import { chmod, chown, lchown, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig } from "../../lib/host/config.ts";
import { unsafeConfigFile } from "../../lib/host/read-config-file.ts";
import { uriProblem } from "../../lib/host/check-uri.ts";
import { usageFailure, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

async function configFile(text: string, owner = 0, mode = 0o644): Promise<string> {
  const path = join(await tempDir(), "config.toml");
  await writeFile(path, text);
  await chown(path, owner, owner);
  await chmod(path, mode);
  return path;
}

describe("config files another user could write", () => {
  test("a file owned by another user is ignored, with a warning", async () => {
    const path = await configFile('connect = "qemu:///session"\nram = 2048', 1234);
    const config = await loadConfig({ files: [path], env: {}, uid: 0 });
    expect(config.settings.ram).toBe(1024);
    expect(config.settings.connect).toBe("qemu:///system");
    expect(config.warnings).toEqual([`Ignoring config file "${path}": owned by uid 1234, not by you or root`]);
  });

  test("a file others can write is ignored, even when root owns it", async () => {
    const path = await configFile("ram = 2048", 0, 0o666);
    const config = await loadConfig({ files: [path], env: {}, uid: 0 });
    expect(config.settings.ram).toBe(1024);
    expect(config.warnings).toEqual([`Ignoring config file "${path}": writable by others (mode 0666)`]);
  });

  test("a symlink owned by another user is ignored even when its target is root's", async () => {
    const target = await configFile("ram = 2048");
    const link = join(await tempDir(), "config.toml");
    await symlink(target, link);
    await lchown(link, 1234, 1234);
    expect(unsafeConfigFile(link, 0)).toBe("owned by uid 1234, not by you or root");
  });

  test("the user's own file and root's file are read", async () => {
    const mine = await configFile("ram = 2048", 1000);
    const roots = await configFile("vcpus = 1", 0, 0o600);
    const config = await loadConfig({ files: [roots, mine], env: {}, uid: 1000 });
    expect([config.settings.ram, config.settings.vcpus, config.warnings]).toEqual([2048, 1, []]);
  });

  test("a missing file is neither read nor warned about", async () => {
    const config = await loadConfig({ files: [join(await tempDir(), "absent.toml")], env: {}, uid: 0 });
    expect(config.warnings).toEqual([]);
  });

  test("a symlink to nothing is neither read nor warned about, whoever owns it", async () => {
    const link = join(await tempDir(), "config.toml");
    await symlink(join(await tempDir(), "absent.toml"), link);
    await lchown(link, 1234, 1234);
    const config = await loadConfig({ files: [link], env: {}, uid: 0 });
    expect([config.layers.length, config.warnings]).toEqual([1, []]);
  });

  test("a symlink another user owns is ignored by loadConfig, with a warning", async () => {
    const link = join(await tempDir(), "config.toml");
    await symlink(await configFile("ram = 2048"), link);
    await lchown(link, 1234, 1234);
    const config = await loadConfig({ files: [link], env: {}, uid: 0 });
    expect([config.settings.ram, config.warnings]).toEqual([1024, [`Ignoring config file "${link}": owned by uid 1234, not by you or root`]]);
  });

  test("a directory at a config file's path cannot be read: a usage error naming it", async () => {
    const path = join(await tempDir(), "config.toml");
    await mkdir(path);
    const error = await usageFailure(() => loadConfig({ files: [path], env: {}, uid: 0 }));
    expect([error.code, error.message]).toEqual(["E_CONFIG", `Cannot read config: "${path}": EISDIR: illegal operation on a directory, read`]);
  });
});

describe("libvirt URIs that would run a program", () => {
  const refused: [string, string][] = [
    ["qemu+ext:///system?command=/tmp/x.sh", 'the "ext" transport runs a program: not allowed'],
    ["qemu+ext:///system", 'the "ext" transport runs a program: not allowed'],
    ["qemu+ssh://host/system?netcat=/tmp/x.sh", 'the "netcat" parameter runs a program: not allowed'],
    ["qemu+unix:///system?command=/tmp/x.sh", 'the "command" parameter runs a program: not allowed'],
    ["qemu+ssh://host/system?Command=/tmp/x.sh", 'the "Command" parameter runs a program: not allowed'],
    ["qemu+ssh://-oProxyCommand=x/system", 'a host or user name may not start with "-"'],
    ["qemu+nope:///system", 'unknown transport "nope"'],
    ["xen:///system", 'driver "xen" is not supported: use qemu'],
    ["localhost", 'not a libvirt URI such as "qemu:///system"'],
  ];
  test.each(refused)("%p is refused: %s", (uri, reason) => {
    expect(uriProblem(uri)).toBe(reason);
  });

  const accepted = ["qemu:///system", "qemu:///session", "qemu+ssh://root@10.0.0.2/system?keyfile=/root/.ssh/id", "qemu+tls://h.example/system", "qemu+unix:///system?socket=/run/x", "test:///default"];
  test.each(accepted)("%p is accepted", (uri) => {
    expect(uriProblem(uri)).toBeNull();
  });

  test("from a config file, a variable or --connect it is a usage error", async () => {
    const path = await configFile('connect = "qemu+ext:///system?command=/tmp/x.sh"');
    const fromFile = await usageFailure(() => loadConfig({ files: [path], env: {}, uid: 0 }));
    expect(fromFile.code).toBe("E_CONFIG");
    expect(fromFile.message).toContain('"connect" must be a libvirt URI such as "qemu:///system" (no "ext" transport');
    const env = { TESTCLOUD_CONNECT: "qemu+ssh://h/system?netcat=/x" };
    expect((await usageFailure(() => loadConfig({ files: [], env, uid: 0 }))).exitCode).toBe(2);
    const flag = await usageFailure(() => loadConfig({ files: [], env: {}, uid: 0, flags: { connect: "qemu+ext:///system" } }));
    expect(flag.message).toStartWith('Invalid --connect: "qemu+ext:///system": must be a libvirt URI');
  });
});
