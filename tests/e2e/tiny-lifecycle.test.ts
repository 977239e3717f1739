import { describe, expect, test } from "bun:test";
import { cli, leftBehind, NETWORK, testImage, uniqueName } from "./_env.ts";

const BOOT = 240_000;

describe("tiny image on an isolated libvirt network", () => {
  test("create → ssh hostname → list → remove leaves nothing behind", async () => {
    const name = uniqueName("net");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--json"]);
    expect(created.stderr).toBe("");
    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({ name, state: "running", network: NETWORK, sshPort: 22, user: "cloud-user" });
    expect(created.json.ip).toMatch(/^192\.168\.251\.\d+$/);
    expect(created.json.timings.total).toBeGreaterThan(0);

    const ssh = await cli(["ssh", name, "--", "hostname"]);
    expect(ssh.exitCode).toBe(0);
    expect(ssh.stdout.trim()).toBe(name);

    const failing = await cli(["ssh", name, "--json", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(failing.exitCode).toBe(3);
    expect(failing.json).toMatchObject({ name, exitCode: 3, stdout: "out\n", stderr: "err\n" });

    const list = await cli(["list", "--json"]);
    expect(list.exitCode).toBe(0);
    expect(list.json).toContainEqual(expect.objectContaining({ name, state: "running", ip: created.json.ip }));

    const refused = await cli(["remove", name, "--json"]);
    expect(refused.exitCode).toBe(10);
    expect(refused.json.error.code).toBe("E_STATE");

    const removed = await cli(["remove", name, "--force", "--json"]);
    expect(removed.exitCode).toBe(0);
    expect(removed.json).toEqual({ name, removedDomain: true, removedFiles: true });
    expect(await leftBehind(name)).toEqual([]);
  }, BOOT);
});

describe("tiny image with user-mode networking", () => {
  test("ssh is forwarded from 127.0.0.1 only and works with strict host-key checking", async () => {
    const name = uniqueName("user");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", "user", "--ram", "256", "--json"]);
    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({ name, state: "running", ip: "127.0.0.1", network: "user" });
    expect(created.json.sshPort).toBeGreaterThan(1023);

    const listeners = await Bun.file("/proc/net/tcp").text();
    const portHex = created.json.sshPort.toString(16).toUpperCase().padStart(4, "0");
    // 0100007F is 127.0.0.1 in /proc/net/tcp; 00000000 would be every interface.
    expect(listeners).toContain(`0100007F:${portHex} 00000000:0000 0A`);
    expect(listeners).not.toContain(`00000000:${portHex} 00000000:0000 0A`);

    const ssh = await cli(["ssh", name, "--", "hostname"]);
    expect(ssh.stdout.trim()).toBe(name);
    expect(ssh.exitCode).toBe(0);

    expect((await cli(["remove", name, "--force"])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, BOOT);
});
