import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, leftBehind, NETWORK, testImage, uniqueName, virsh } from "./_env.ts";

describe("every lifecycle verb on the tiny image", () => {
  test("info, ip, ssh-config, shutdown, start, reset, reboot, stop, console --log, wait, remove", async () => {
    const name = uniqueName("verbs");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--disk-size", "512M", "--wait", "cloud-init", "--json"]);
    expect(created.exitCode).toBe(0);
    expect(Object.keys(created.json.timings)).toEqual(expect.arrayContaining(["image", "overlay", "seed", "define", "start", "boot", "bootToIp", "ipToSsh", "cloudInit", "total"]));

    const info = await cli(["info", name, "--json"]);
    expect(info.json).toMatchObject({ name, state: "running", ip: created.json.ip, problem: null });
    expect((await cli(["ip", name])).stdout.trim()).toBe(created.json.ip);

    // ssh-config makes plain ssh work, with strict host-key checking.
    const config = join(scratchDir("tc-sshcfg-"), "config");
    writeFileSync(config, (await cli(["ssh-config", name, "--json"])).json.config);
    const plain = spawnSync("ssh", ["-F", config, "-o", "BatchMode=yes", `testcloud-${name}`, "hostname"], { encoding: "utf8" });
    expect(plain.stdout.trim()).toBe(name);

    const shutdown = await cli(["shutdown", name, "--timeout", "90", "--json"]);
    expect(shutdown.json).toMatchObject({ name, state: "shut off", changed: true, forced: false });
    expect((await virsh("domstate", name)).stdout).toContain("shut off");
    expect((await cli(["shutdown", name, "--json"])).json).toMatchObject({ changed: false });

    const stoppedSsh = await cli(["ssh", name, "--json", "--", "true"]);
    expect(stoppedSsh.exitCode).toBe(10);
    expect(stoppedSsh.json.error.code).toBe("E_NOT_RUNNING");

    const started = await cli(["start", name, "--json"]);
    expect(started.exitCode).toBe(0);
    expect(started.json).toMatchObject({ name, state: "running", changed: true, ready: { waitedFor: "ssh" } });
    const bootId = (await cli(["ssh", name, "--", "cat", "/proc/sys/kernel/random/boot_id"])).stdout;

    const reset = await cli(["reset", name, "--json"]);
    expect(reset.exitCode).toBe(0);
    const afterReset = (await cli(["ssh", name, "--", "cat", "/proc/sys/kernel/random/boot_id"])).stdout;
    expect(afterReset).not.toBe(bootId);

    const reboot = await cli(["reboot", name, "--json"]);
    expect(reboot.exitCode).toBe(0);
    const afterReboot = (await cli(["ssh", name, "--", "cat", "/proc/sys/kernel/random/boot_id"])).stdout;
    expect(afterReboot).not.toBe(afterReset);

    const waited = await cli(["wait", name, "--for", "cloud-init", "--json"]);
    expect(waited.json).toMatchObject({ name, waitedFor: "cloud-init", cloudInit: "done" });

    const log = await cli(["console", name, "--log", "--json"]);
    expect(log.json.lines.some((l: string) => l.includes("TESTCLOUD-TINY: sshd ready"))).toBe(true);

    const stop = await cli(["stop", name, "--json"]);
    expect(stop.json).toMatchObject({ name, state: "shut off", changed: true });
    expect((await cli(["remove", name, "--json"])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 600_000);

  test("create --no-wait returns at once with the VM running; wait then reaches it", async () => {
    const name = uniqueName("nowait");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", "user", "--ram", "256", "--no-wait", "--json"]);
    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({ name, state: "running" });
    expect(created.json.timings.boot).toBeUndefined();
    const waited = await cli(["wait", name, "--json"]);
    expect(waited.json).toMatchObject({ name, ip: "127.0.0.1", sshPort: created.json.sshPort });
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
  }, 300_000);

  test("create --dry-run shows the domain XML and user-data and makes nothing", async () => {
    const name = uniqueName("dry");
    const plan = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--dry-run", "--json"]);
    expect(plan.exitCode).toBe(0);
    expect(plan.json.dryRun).toBe(true);
    expect(plan.json.domainXml).toContain(`<name>${name}</name>`);
    expect(plan.json.userData.startsWith("#cloud-config\n")).toBe(true);
    expect(plan.json.metaData).toContain(`local-hostname: "${name}"`);
    expect(await leftBehind(name)).toEqual([]);
  });

  test("create --keep leaves a failed instance for inspection; remove --force then removes it", async () => {
    const name = uniqueName("keep");
    const failed = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--timeout", "2", "--keep", "--json"]);
    expect(failed.exitCode).toBe(8);
    expect(failed.json.error.hint).toContain("kept for inspection");
    expect(await leftBehind(name)).toEqual([`domain ${name}`, `directory ${name}`]);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 60_000);

  test("clean drops a directory whose domain is gone and a domain whose directory is gone", async () => {
    const a = uniqueName("cleana");
    const b = uniqueName("cleanb");
    for (const name of [a, b]) {
      const made = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--no-wait", "--json"]);
      expect(made.exitCode).toBe(0);
    }
    await virsh("destroy", a);
    await virsh("undefine", a);
    const dirB = (await cli(["info", b, "--json"])).json.paths.dir;
    spawnSync("rm", ["-rf", dirB]);
    const listed = await cli(["list", "--json"]);
    expect(listed.json).toContainEqual(expect.objectContaining({ name: a, state: "missing" }));
    expect(listed.json).toContainEqual(expect.objectContaining({ name: b, problem: expect.stringContaining("directory is gone") }));
    const cleaned = await cli(["clean", "--json"]);
    expect(cleaned.json).toEqual(
      expect.arrayContaining([
        { name: a, removed: "directory", reason: "domain is gone" },
        { name: b, removed: "domain", reason: "instance directory is gone" },
      ]),
    );
    expect(await leftBehind(a)).toEqual([]);
    expect(await leftBehind(b)).toEqual([]);
  }, 120_000);

  test("clean refuses when libvirt cannot be reached instead of treating every instance as gone", async () => {
    const result = await cli(["--connect", "qemu+unix:///system?socket=/nonexistent.sock", "clean", "--json"]);
    expect(result.exitCode).toBe(9);
  });
});
