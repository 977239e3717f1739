import { describe, expect, test } from "bun:test";
import { cli, leftBehind, NETWORK, testImage, uniqueName } from "./_env.ts";

// The Debian image runs the real cloud-init, systemd and OpenSSH; under TCG it needs about a minute.
describe("Debian 12 image with the real cloud-init", () => {
  test("create → ssh → wait cloud-init → shutdown → start → remove", async () => {
    const name = uniqueName("debian");
    const created = await cli(["create", testImage("debian"), "--name", name, "--network", NETWORK, "--disk-size", "3G", "--timeout", "600", "--json"]);
    expect(created.stderr).toBe("");
    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({ name, state: "running", user: "cloud-user" });

    const hostname = await cli(["ssh", name, "--", "hostname"]);
    expect(hostname.stdout.trim()).toBe(name);

    const waited = await cli(["wait", name, "--for", "cloud-init", "--timeout", "600", "--json"]);
    // "done", not "degraded": our cloud-config passes cloud-init's own schema check. Compared
    // whole, so that a failure shows the error document (its code and detail).
    expect({ exitCode: waited.exitCode, json: waited.json }).toMatchObject({ exitCode: 0, json: { cloudInit: "done" } });

    // Our user has passwordless sudo, no password at all, and the root fs grew into --disk-size.
    const sudo = await cli(["ssh", name, "--json", "--", "sudo", "-n", "passwd", "--status", "cloud-user"]);
    expect(sudo.exitCode).toBe(0);
    expect(sudo.json.stdout).toMatch(/^cloud-user L /);
    const size = await cli(["ssh", name, "--", "df", "--output=size", "-B1", "/"]);
    expect(Number(size.stdout.trim().split("\n").at(-1))).toBeGreaterThan(2.5 * 2 ** 30);

    const shutdown = await cli(["shutdown", name, "--timeout", "180", "--json"]);
    expect(shutdown.json).toMatchObject({ state: "shut off", forced: false });

    const started = await cli(["start", name, "--timeout", "600", "--json"]);
    expect(started.exitCode).toBe(0);
    expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);

    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 1_500_000);
});
