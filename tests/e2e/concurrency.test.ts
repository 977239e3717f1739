import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, leftBehind, NETWORK, testImage, uniqueName } from "./_env.ts";

describe("concurrent creates", () => {
  test("two creates of the same name: exactly one wins, the other gets exit 5 and touches nothing", async () => {
    const name = uniqueName("race");
    const args = ["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--json"];
    const [a, b] = await Promise.all([cli(args), cli(args)]);
    expect([a.exitCode, b.exitCode].sort()).toEqual([0, 5]);
    const loser = a.exitCode === 5 ? a : b;
    expect(loser.json.error.code).toBe("E_EXISTS");
    expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 300_000);

  test("four creates at once, two user-mode and two on a network: all ready, distinct ports and IPs", async () => {
    const names = [0, 1, 2, 3].map((i) => uniqueName(`par${i}`));
    const results = await Promise.all(
      names.map((name, i) =>
        cli(["create", testImage("tiny"), "--name", name, "--network", i < 2 ? "user" : NETWORK, "--ram", "256", "--vcpus", "1", "--timeout", "600", "--json"]),
      ),
    );
    for (const r of results) expect(r.exitCode).toBe(0);
    const ports = results.slice(0, 2).map((r) => r.json.sshPort);
    expect(new Set(ports).size).toBe(2);
    const ips = results.slice(2).map((r) => r.json.ip);
    expect(new Set(ips).size).toBe(2);
    for (const name of names) expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);
    for (const name of names) expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
  }, 900_000);

  test("two pulls at once into a new cache both get the image (20 rounds)", async () => {
    // The first to open a new cache's index switches it to WAL mode; two creates at once on a
    // new host could fail there with "database is locked" (in CI, and in up to 1 pair of pulls
    // in 3 on a loaded machine). The race needs that load to show: this does not catch it every time.
    const scratch = mkdtempSync(join(tmpdir(), "tc-index-race-"));
    try {
      // The tiny image, not an empty disk: its copy takes long enough for the race to show.
      const image = testImage("tiny");
      const failed: string[] = [];
      for (let round = 0; round < 20; round++) {
        const dataDir = join(scratch, `data-${round}`);
        const pulls = await Promise.all([0, 1].map(() => cli(["image", "pull", image, "--json"], { TESTCLOUD_DATA_DIR: dataDir })));
        failed.push(...pulls.filter((p) => p.exitCode !== 0).map((p) => `round ${round}: ${p.stdout.trim() || p.stderr.trim()}`));
      }
      expect(failed).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
