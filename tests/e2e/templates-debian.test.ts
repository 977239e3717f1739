import { describe, expect, test } from "bun:test";
import { cli, testImage } from "./_env.ts";
import { expectDistinct, forkMany, makeTemplate, verbsOnFork } from "./_fork-scenario.ts";

describe("templates of the Debian image (real cloud-init, systemd, OpenSSH)", () => {
  test("four forks at once are four machines with cloud-init's own instance-id; every verb works on a fork", async () => {
    await makeTemplate("debian", testImage("debian"), 512);
    const forks = await forkMany("debian", "dfork", 4);
    await expectDistinct(forks);
    // cloud-init knows each fork as another instance: its next boot does not provision it again.
    const ids = await Promise.all(forks.map((f) => cli(["ssh", f.name, "--", "cat /var/lib/cloud/data/instance-id /etc/machine-id"])));
    expect(new Set(ids.map((r) => r.stdout)).size).toBe(forks.length);
    const refused = await cli(["template", "remove", "debian", "--json"]);
    expect(refused.json.error).toMatchObject({ code: "E_TEMPLATE_IN_USE" });
    await verbsOnFork(forks[0]);
    for (const fork of forks.slice(1)) expect((await cli(["remove", "--force", fork.name, "--json"])).exitCode).toBe(0);
    expect((await cli(["template", "remove", "debian", "--json"])).json).toEqual({ name: "debian", removed: true });
  }, 1_800_000);
});
