import { describe, expect, test } from "bun:test";
import { BIN, cli, dataDir, leftBehind, NETWORK, testImage, uniqueName, URI, virsh } from "./_env.ts";

describe("a failed create rolls back", () => {
  test("a boot timeout → exit 8 with the console tail, and nothing left behind", async () => {
    const name = uniqueName("timeout");
    const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--timeout", "4", "--json"]);
    expect(result.exitCode).toBe(8);
    expect(result.json.error.code).toBe("E_TIMEOUT_BOOT");
    expect(result.json.error.message).toContain("not ready after 4 s");
    // The serial log is the only clue a user gets from a VM that did not come up.
    expect(result.json.error.detail.length).toBeGreaterThan(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 60_000);

  test("Ctrl-C while the VM boots → exit 130, domain and directory removed", async () => {
    const name = uniqueName("sigint");
    const proc = Bun.spawn([BIN, "--connect", URI, "create", testImage("tiny"), "--name", name, "--network", NETWORK], {
      env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir },
      stdout: "pipe",
      stderr: "pipe",
    });
    for (let i = 0; i < 200; i++) {
      if ((await virsh("domstate", name)).stdout.includes("running")) break;
      await Bun.sleep(100);
    }
    expect((await virsh("domstate", name)).stdout).toContain("running");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await new Response(proc.stderr).text()).toContain("Interrupted");
    expect(await leftBehind(name)).toEqual([]);
  }, 60_000);

  test("a second create with a taken name → exit 5 and the first instance is untouched", async () => {
    const name = uniqueName("dup");
    const first = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--json"]);
    expect(first.exitCode).toBe(0);
    const second = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--json"]);
    expect(second.exitCode).toBe(5);
    expect(second.json.error.code).toBe("E_EXISTS");
    const ssh = await cli(["ssh", name, "--", "hostname"]);
    expect(ssh.stdout.trim()).toBe(name);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 240_000);
});
