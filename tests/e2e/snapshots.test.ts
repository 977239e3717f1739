// Snapshots on the tiny image, through dist/testcloud: what a snapshot saves comes back on
// revert (files, an extra disk), the instance is reachable again with the same keys, and
// snapshots never get in the way of remove, clean or the image cache's in-use protection.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, leftBehind, NETWORK, testImage, uniqueName, virsh } from "./_env.ts";

/** Runs a shell command in the guest; its stdout, trimmed. */
async function guest(name: string, command: string): Promise<string> {
  const result = await cli(["ssh", name, "--", command]);
  expect(`${result.exitCode} ${result.stderr}`).toBe("0 ");
  return result.stdout.trim();
}

/** Plain ssh through `ssh-config`: strict host-key checking against the instance's known_hosts. */
async function plainSsh(name: string): Promise<string> {
  const config = join(scratchDir("tc-snap-"), "config");
  writeFileSync(config, (await cli(["ssh-config", name, "--json"])).json.config);
  const result = spawnSync("ssh", ["-F", config, "-o", "BatchMode=yes", `testcloud-${name}`, "hostname"], { encoding: "utf8" });
  return `${result.status} ${result.stdout.trim()}`;
}

const MARK = "/dev/disk/by-id/virtio-data";

describe("snapshots of a tiny instance", () => {
  test("a file made after a snapshot is gone after revert, with memory and without, and ssh works with the same keys", async () => {
    const name = uniqueName("snap");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--disk", "16M,serial=data", "--json"]);
    expect(created.exitCode).toBe(0);
    const knownHosts = readFileSync(created.json.knownHostsPath, "utf8");
    const key = readFileSync(created.json.keyPath, "utf8");

    // A running instance: disks and memory. Revert resumes it where it was.
    const live = await cli(["snapshot", "create", name, "live", "--json"]);
    expect(live.exitCode).toBe(0);
    expect(live.json).toMatchObject({ instance: name, snapshot: { name: "live", state: "running", memory: true, current: true } });
    await guest(name, `echo after-live > marker && echo after-live | sudo -n dd of=${MARK} conv=fsync 2>/dev/null && sync`);
    const toLive = await cli(["snapshot", "revert", name, "live", "--json"]);
    expect(toLive.exitCode).toBe(0);
    expect(toLive.json).toMatchObject({ instance: name, state: "running", booted: false, ready: { ip: created.json.ip } });
    expect(await guest(name, "ls marker 2>&1 || true")).toContain("No such file");
    expect(await guest(name, `sudo -n head -c 10 ${MARK} | tr -d '\\0'`)).toBe("");

    // A stopped instance: disks only. Reverting it while it runs powers it off, reverts and boots it.
    expect((await cli(["stop", name])).exitCode).toBe(0);
    const off = await cli(["snapshot", "create", name, "off", "--json"]);
    expect(off.json).toMatchObject({ snapshot: { name: "off", state: "shut off", memory: false } });
    expect((await cli(["start", name])).exitCode).toBe(0);
    const bootId = await guest(name, "cat /proc/sys/kernel/random/boot_id");
    await guest(name, `echo after-off > marker && echo after-off | sudo -n dd of=${MARK} conv=fsync 2>/dev/null && sync`);
    const toOff = await cli(["snapshot", "revert", name, "off", "--json"]);
    expect(toOff.exitCode).toBe(0);
    expect(toOff.json).toMatchObject({ state: "running", booted: true, ready: { waitedFor: "ssh" } });
    expect(await guest(name, "ls marker 2>&1 || true")).toContain("No such file");
    expect(await guest(name, `sudo -n head -c 10 ${MARK} | tr -d '\\0'`)).toBe("");
    expect(await guest(name, "cat /proc/sys/kernel/random/boot_id")).not.toBe(bootId);

    // The same keys and known_hosts: plain ssh with strict host-key checking gets in.
    expect(await plainSsh(name)).toBe(`0 ${name}`);
    expect(readFileSync(created.json.knownHostsPath, "utf8")).toBe(knownHosts);
    expect(readFileSync(created.json.keyPath, "utf8")).toBe(key);

    const listed = await cli(["snapshot", "list", name, "--json"]);
    expect(listed.json.map((s: any) => [s.name, s.state, s.memory, s.current])).toEqual([
      ["live", "running", true, false],
      ["off", "shut off", false, true],
    ]);
    expect((await cli(["info", name, "--json"])).json.snapshots).toEqual(listed.json);
    expect((await cli(["snapshot", "list", name])).stdout).toMatch(/^NAME\s+CREATED \(UTC\)\s+STATE\s+MEMORY\s+CURRENT\nlive\s/);

    for (const snapshot of ["live", "off"]) {
      const removed = await cli(["snapshot", "remove", name, snapshot, "--json"]);
      expect(removed.json).toMatchObject({ instance: name, snapshot: { name: snapshot } });
    }
    expect((await cli(["snapshot", "list", name, "--json"])).json).toEqual([]);
    expect((await cli(["info", name, "--json"])).json.snapshots).toEqual([]);
    expect((await virsh("snapshot-list", name, "--name")).stdout.trim()).toBe("");
    expect(await plainSsh(name)).toBe(`0 ${name}`);
  }, 600_000);

  test("a stopped instance reverted to a snapshot with memory comes back running", async () => {
    const name = uniqueName("snapmem");
    expect((await cli(["create", testImage("tiny"), "--name", name, "--network", "user", "--ram", "256"])).exitCode).toBe(0);
    const uptime = Number((await guest(name, "cut -d' ' -f1 /proc/uptime")));
    expect((await cli(["snapshot", "create", name, "warm"])).stdout).toBe(`${name}: snapshot "warm" created (disks and memory)\n`);
    expect((await cli(["stop", name])).exitCode).toBe(0);
    const reverted = await cli(["snapshot", "revert", name, "warm", "--json"]);
    expect(reverted.json).toMatchObject({ state: "running", booted: false, ready: { ip: "127.0.0.1" } });
    // Not booted: the guest's clock went on from where the snapshot was taken.
    expect(Number(await guest(name, "cut -d' ' -f1 /proc/uptime"))).toBeGreaterThanOrEqual(uptime);
    expect(Number(await guest(name, "cut -d' ' -f1 /proc/uptime"))).toBeLessThan(uptime + 60);
    expect(await plainSsh(name)).toBe(`0 ${name}`);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 600_000);

  test("an instance with snapshots: its image stays in use, and remove leaves nothing behind", async () => {
    const name = uniqueName("snaprm");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--no-wait", "--json"]);
    expect(created.exitCode).toBe(0);
    expect((await cli(["snapshot", "create", name, "s1"])).exitCode).toBe(0);
    expect((await cli(["stop", name])).exitCode).toBe(0);
    expect((await cli(["snapshot", "create", name, "s2"])).exitCode).toBe(0);

    const inUse = await cli(["image", "remove", created.json.image.digest, "--json"]);
    expect({ exitCode: inUse.exitCode, code: inUse.json.error.code }).toEqual({ exitCode: 10, code: "E_IMAGE_IN_USE" });
    expect(inUse.json.error.message).toContain(name);

    const removed = await cli(["remove", name, "--json"]);
    expect(removed.json).toEqual({ name, removedDomain: true, removedFiles: true });
    expect(await leftBehind(name)).toEqual([]);
  }, 300_000);

  test("clean removes a domain with snapshots whose directory is gone", async () => {
    const name = uniqueName("snapcl");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--no-wait", "--json"]);
    expect(created.exitCode).toBe(0);
    expect((await cli(["stop", name])).exitCode).toBe(0);
    expect((await cli(["snapshot", "create", name, "s1"])).exitCode).toBe(0);
    rmSync(created.json.paths.dir, { recursive: true, force: true });
    const cleaned = await cli(["clean", "--json"]);
    expect(cleaned.json).toContainEqual({ name, removed: "domain", reason: "instance directory is gone" });
    expect(await leftBehind(name)).toEqual([]);
  }, 300_000);
});
