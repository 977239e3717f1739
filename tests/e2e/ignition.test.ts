import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, leftBehind, NETWORK, testImage, uniqueName } from "./_env.ts";

// The tiny image reads /sys/firmware/qemu_fw_cfg/by_name/opt/com.coreos/config like
// CoreOS's Ignition does: the config crosses the real QEMU fw_cfg boundary.
describe("Ignition through QEMU fw_cfg", () => {
  test("--ignition: our user, key, host key and hostname arrive; the user's merged file too", async () => {
    const name = uniqueName("ign");
    const userIgn = join(scratchDir("tc-ign-"), "user.ign");
    writeFileSync(userIgn, JSON.stringify({ ignition: { version: "3.4.0" }, storage: { files: [{ path: "/etc/tc-ign-marker", mode: 420, contents: { source: "data:,from-user-ignition%0A" } }] } }));
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--ignition", userIgn, "--json"]);
    expect(created.exitCode).toBe(0);
    expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);
    expect((await cli(["ssh", name, "--", "cat", "/etc/tc-ign-marker"])).stdout.trim()).toBe("from-user-ignition");
    const log = await cli(["console", name, "--log", "--json"]);
    expect(log.json.lines.join("\n")).toContain("ignition config found (fw_cfg)");
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 300_000);

  test("--user-data with an Ignition guest is refused before anything is made", async () => {
    const name = uniqueName("ignud");
    const dir = scratchDir("tc-ign-");
    writeFileSync(join(dir, "u.ign"), '{"ignition":{"version":"3.4.0"}}');
    writeFileSync(join(dir, "ud"), "#cloud-config\nruncmd: [true]\n");
    const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ignition", join(dir, "u.ign"), "--user-data", join(dir, "ud"), "--json"]);
    expect(result.exitCode).toBe(2);
    expect(await leftBehind(name)).toEqual([]);
  });
});
