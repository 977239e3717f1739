import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, leftBehind, NETWORK, testImage, uniqueName } from "./_env.ts";

// A local mirror in Rocky's real layout (a BSD-style CHECKSUM file) whose
// "GenericCloud" image is our tiny test image: create resolves, downloads,
// verifies and boots it like the real thing.
const tiny = Bun.file(testImage("tiny"));
const digest = new Bun.CryptoHasher("sha256").update(await tiny.arrayBuffer()).digest("hex");
const image = "Rocky-9-GenericCloud-Base-9.8-20260525.0.x86_64.qcow2";
let imageGets = 0;
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/pub/rocky/9/images/x86_64/CHECKSUM") {
      return new Response(`# ${image}: ${tiny.size} bytes\nSHA256 (${image}) = ${digest}\n`);
    }
    if (path === `/pub/rocky/9/images/x86_64/${image}`) {
      imageGets++;
      return new Response(tiny);
    }
    return new Response("not found", { status: 404 });
  },
});
afterAll(() => server.stop(true));
const mirror = { TESTCLOUD_MIRRORS: JSON.stringify({ "dl.rockylinux.org": `http://127.0.0.1:${server.port}` }) };

describe("create from a distro shortcut through a local mirror", () => {
  test("rocky:9 resolves from CHECKSUM, downloads once, verifies and boots; --offline then reuses the cache", async () => {
    const name = uniqueName("rocky");
    const created = await cli(["create", "rocky:9", "--name", name, "--network", NETWORK, "--ram", "256", "--json"], mirror);
    expect(created.exitCode).toBe(0);
    expect(created.json.image.digest).toBe(digest);
    expect(created.json.image.source).toContain(image);
    expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);

    const gets = imageGets;
    const offline = uniqueName("offline");
    const again = await cli(["create", "rocky:9", "--offline", "--name", offline, "--network", NETWORK, "--ram", "256", "--no-wait", "--json"], mirror);
    expect(again.exitCode).toBe(0);
    expect(again.json.image.digest).toBe(digest);
    expect(imageGets).toBe(gets);
    expect((await cli(["remove", "-f", offline])).exitCode).toBe(0);
    expect(await leftBehind(offline)).toEqual([]);
  }, 300_000);

  test("a config file sets create's defaults and the distro mirror; flags still win", async () => {
    const home = scratchDir("tc-xdg-");
    mkdirSync(join(home, "testcloud"));
    writeFileSync(join(home, "testcloud", "config.toml"), `ram = 192\nvcpus = 1\n[baseUrls]\n"dl.rockylinux.org" = "http://127.0.0.1:${server.port}"\n`);
    const name = uniqueName("cfg");
    const created = await cli(["create", "rocky:9", "--name", name, "--network", NETWORK, "--vcpus", "2", "--no-wait", "--json"], { XDG_CONFIG_HOME: home });
    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({ ramMiB: 192, vcpus: 2 });
    expect(created.json.image.digest).toBe(digest);
    const config = await cli(["config", "--json"], { XDG_CONFIG_HOME: home });
    expect(config.json).toContainEqual({ key: "ram", value: 192, origin: join(home, "testcloud", "config.toml") });
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
  }, 120_000);

  test("a wrong --sha256 → exit 6 E_CHECKSUM_MISMATCH and no instance", async () => {
    const name = uniqueName("badsum");
    const result = await cli(["create", `http://127.0.0.1:${server.port}/pub/rocky/9/images/x86_64/${image}`, "--sha256", "0".repeat(64), "--name", name, "--network", NETWORK, "--json"]);
    expect(result.exitCode).toBe(6);
    expect(result.json.error.code).toBe("E_CHECKSUM_MISMATCH");
    expect(await leftBehind(name)).toEqual([]);
  });

  test("an unknown shortcut → exit 2 and an unknown version → exit 4, before anything is made", async () => {
    const unknown = await cli(["create", "nosuchdistro:1", "--name", uniqueName("nodistro"), "--network", NETWORK, "--json"], mirror);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.json.error.code).toBe("E_UNKNOWN_IMAGE");
    const version = await cli(["create", "rocky:7", "--name", uniqueName("noversion"), "--network", NETWORK, "--json"], mirror);
    expect(version.exitCode).toBe(4);
    expect(version.json.error.code).toBe("E_UNKNOWN_VERSION");
  });
});
