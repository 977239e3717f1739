import { describe, expect, test } from "bun:test";
import { truncateSync, statSync } from "node:fs";
import { join } from "node:path";
import { cli, leftBehind, testImage, uniqueName, virsh } from "./_env.ts";
import { expectDistinct, forkMany, makeTemplate, userModeFork, verbsOnFork } from "./_fork-scenario.ts";

describe("templates of the tiny image", () => {
  test("four forks at once are four machines; every verb works on a fork; the template stays while forks use it", async () => {
    const made = await makeTemplate("tiny", testImage("tiny"), 256);
    const again = await cli(["template", "create", "tiny", testImage("tiny"), "--network", made.network, "--ram", "256", "--json"]);
    expect(again.json).toMatchObject({ name: "tiny", reused: true, dir: made.dir });

    const forks = await forkMany("tiny", "fork", 4);
    await expectDistinct(forks);
    await userModeFork("tiny", "ufork");
    const listed = await cli(["template", "list", "--json"]);
    expect(listed.json).toEqual([expect.objectContaining({ name: "tiny", forks: forks.map((f) => f.name).sort() })]);

    // The template's disk stands on the image, and the forks' disks on the template's.
    const imageRemove = await cli(["image", "remove", made.image.digest, "--json"]);
    expect(imageRemove.json.error).toMatchObject({ code: "E_IMAGE_IN_USE" });
    expect(imageRemove.json.error.message).toContain("template:tiny");
    const refused = await cli(["template", "remove", "tiny", "--json"]);
    expect(refused.exitCode).toBe(10);
    expect(refused.json.error).toMatchObject({ code: "E_TEMPLATE_IN_USE" });

    await verbsOnFork(forks[0]);
    for (const fork of forks.slice(1)) expect((await cli(["remove", "--force", fork.name, "--json"])).exitCode).toBe(0);
    expect((await cli(["template", "remove", "tiny", "--json"])).json).toEqual({ name: "tiny", removed: true });
    expect((await cli(["template", "list", "--json"])).json).toEqual([]);
  }, 1_200_000);

  test("a fork that fails is rolled back, and --or-boot boots the template's image instead", async () => {
    const made = await makeTemplate("broken", testImage("tiny"), 256);
    // Half a memory stream: libvirt starts QEMU, which fails to load it.
    const save = join(made.dir, "state.save");
    truncateSync(save, Math.floor(statSync(save).size / 2));
    const name = uniqueName("broken");
    const failed = await cli(["create", "--from", "broken", "--name", name, "--json"]);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.json.error.code).toBeString();
    expect(await leftBehind(name)).toEqual([]);
    expect((await virsh("list", "--all", "--name")).stdout).not.toContain(name);

    const booted = await cli(["create", "--from", "broken", "--or-boot", "--name", name, "--network", made.network, "--json"]);
    expect(booted.exitCode).toBe(0);
    expect(booted.json).toMatchObject({ name, state: "running", forkedFrom: null });
    expect((await cli(["remove", "--force", name, "--json"])).exitCode).toBe(0);

    const missing = await cli(["create", "--from", "nosuch", "--json"]);
    expect(missing.exitCode).toBe(4);
    expect(missing.json.error.code).toBe("E_TEMPLATE_NOT_FOUND");
    expect((await cli(["template", "remove", "broken", "--json"])).exitCode).toBe(0);
  }, 600_000);
});
