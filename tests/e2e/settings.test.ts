/**
 * Settings that change how the verbs behave, read from TESTCLOUD_* variables by the compiled
 * binary with a real VM: imageDir (where the cache is; QEMU boots from it), sshConnectTimeout
 * (each ssh login attempt while waiting), timeout and wait (start, reset), shutdownTimeout;
 * and the names scripts written for the Python testcloud use: destroy, force-off, -c system.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, leftBehind, testImage, uniqueName } from "./_env.ts";

const scratch = mkdtempSync(join(tmpdir(), "testcloud-e2e-settings-"));
// QEMU (libvirt-qemu) must walk through it to the blobs of the image dir inside.
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * An `ssh` first on PATH that logs its arguments and runs the real one: which
 * ConnectTimeout each login attempt of testcloud used.
 */
function loggingSsh(): { PATH: string; connectTimeouts: () => string[] } {
  const bin = join(scratch, "bin");
  const log = join(scratch, "ssh.log");
  const real = Bun.which("ssh");
  if (!real) throw new Error("Missing test dependency: ssh: install the openssh-client package");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  return {
    PATH: `${bin}:${process.env.PATH}`,
    connectTimeouts: () => [...(existsSync(log) ? readFileSync(log, "utf8") : "").matchAll(/ConnectTimeout=(\d+)/g)].map((m) => m[1]!),
  };
}

describe("settings and Python testcloud names on the tiny image", () => {
  test("imageDir, sshConnectTimeout, wait, timeout and shutdownTimeout are read; force-off and destroy work", async () => {
    const name = uniqueName("settings");
    const imageDir = join(scratch, "cache", "images");
    // A data dir of its own: other files of the suite fill the shared one's image cache.
    const ownDataDir = join(scratch, "data");
    mkdirSync(ownDataDir, { mode: 0o755 });
    const ssh = loggingSsh();
    const env = { TESTCLOUD_DATA_DIR: ownDataDir, TESTCLOUD_IMAGE_DIR: imageDir, PATH: ssh.PATH };

    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", "user", "--ram", "256", "--json"], { ...env, TESTCLOUD_SSH_CONNECT_TIMEOUT: "7" });
    expect(created.exitCode).toBe(0);
    // QEMU booted from the blob in the image dir; the data dir has no cache of its own.
    expect(created.json.image.path).toBe(join(imageDir, "blobs", `sha256-${created.json.image.digest}`));
    expect(existsSync(join(ownDataDir, "images"))).toBe(false);
    expect(existsSync(join(ownDataDir, "instances", name))).toBe(true);
    expect(ssh.connectTimeouts()).toContain("7");
    expect(ssh.connectTimeouts()).not.toContain("3");
    const images = await cli(["image", "list", "--json"], env);
    expect(images.json).toMatchObject([{ digest: created.json.image.digest, instances: [name] }]);

    const off = await cli(["force-off", name, "--json"], env);
    expect(off.json).toMatchObject({ name, state: "shut off", changed: true });

    // -c system after the verb, as the Python testcloud's scripts pass it; the last --connect wins.
    const started = await cli(["start", name, "-c", "system", "--json"], { ...env, TESTCLOUD_WAIT: "cloud-init", TESTCLOUD_SSH_CONNECT_TIMEOUT: "9" });
    expect(started.exitCode).toBe(0);
    expect(started.json).toMatchObject({ name, state: "running", ready: { waitedFor: "cloud-init", cloudInit: "done" } });
    expect(ssh.connectTimeouts()).toContain("9");

    // One second is not enough for a reset guest to boot: the timeout setting was read.
    const reset = await cli(["reset", name, "--json"], { ...env, TESTCLOUD_TIMEOUT: "1" });
    expect([reset.exitCode, reset.json.error.code]).toEqual([8, "E_TIMEOUT_BOOT"]);
    expect(reset.json.error.message).toContain("after 1 s");
    expect((await cli(["wait", name, "--json"], env)).exitCode).toBe(0);

    // Nor is it for a guest that is still booting to power off.
    expect((await cli(["stop", name, "--json"], env)).exitCode).toBe(0);
    expect((await cli(["start", name, "--no-wait", "--json"], env)).exitCode).toBe(0);
    const shutdown = await cli(["shutdown", name, "--json"], { ...env, TESTCLOUD_SHUTDOWN_TIMEOUT: "1" });
    expect([shutdown.exitCode, shutdown.json.error.code]).toEqual([8, "E_TIMEOUT_SHUTDOWN"]);
    expect(shutdown.json.error.message).toContain("within 1 s");

    const destroyed = await cli(["destroy", name, "--force", "--json"], env);
    expect([destroyed.exitCode, destroyed.json.name]).toEqual([0, name]);
    expect(await leftBehind(name)).toEqual([]);
    expect(existsSync(join(ownDataDir, "instances", name))).toBe(false);
  }, 600_000);
});

describe("names from the Python testcloud, without a VM", () => {
  test("destroy and force-off are remove and stop: same errors, same help", async () => {
    const gone = await cli(["destroy", "nosuch", "--json"]);
    expect([gone.exitCode, gone.json.error.code]).toEqual([4, "E_INSTANCE_NOT_FOUND"]);
    const off = await cli(["force-off", "nosuch", "--json"]);
    expect([off.exitCode, off.json.error.code]).toEqual([4, "E_INSTANCE_NOT_FOUND"]);
    expect((await cli(["destroy", "--help"])).stdout).toBe((await cli(["remove", "--help"])).stdout);
    expect((await cli(["force-off", "--help"])).stdout).toBe((await cli(["stop", "--help"])).stdout);
  });

  test.each([
    ["system", "qemu:///system"],
    ["session", "qemu:///session"],
  ])("-c %s connects to %s", async (word, uri) => {
    const rows = (await cli(["config", "-c", word, "--json"])).json as { key: string; value: unknown; origin: string }[];
    expect(rows.find((row) => row.key === "connect")).toEqual({ key: "connect", value: uri, origin: "flag:--connect" });
  });
});
