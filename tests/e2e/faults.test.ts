// Faults at exact steps of `create`: the test-only pause (TESTCLOUD_TEST_PAUSE, see
// lib/instance/_test-pause.ts) stops create at a named point, the test kills it there
// (or restarts libvirtd), and then proves what is left.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, cli, dataDir, leftBehind, NETWORK, readRest, readUntil, testImage, uniqueName, URI, virsh } from "./_env.ts";

/** Starts a create that pauses at `point`; resolves once it says so on stderr. */
async function createPausedAt(name: string, point: string, extra: string[] = []) {
  const proc = Bun.spawn([BIN, "--connect", URI, "create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", ...extra], {
    env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_TEST_PAUSE: point },
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  const rest = readRest(reader, await readUntil(reader, `test pause at ${point}`));
  return { proc, stderr: () => rest, stdout: new Response(proc.stdout).text() };
}

/** Everything of the data dir's image cache a killed process could leave: partials, temp files. */
function cacheDebris(): string[] {
  const images = join(dataDir, "images");
  return ["partial", "tmp"].flatMap((dir) => (existsSync(join(images, dir)) ? readdirSync(join(images, dir)).map((f) => `${dir}/${f}`) : []));
}

describe("kill -9 of create at each step leaves nothing that clean cannot tidy", () => {
  // What exists at each point: claimed = the directory; prepared = overlay, seed, keys,
  // record and a defined domain; started = the domain is running.
  for (const point of ["claimed", "prepared", "started"]) {
    test(`killed when ${point}`, async () => {
      const name = uniqueName(`kill-${point}`);
      const { proc } = await createPausedAt(name, point);
      expect(existsSync(join(dataDir, "instances", name))).toBe(true);
      if (point !== "claimed") expect((await virsh("domstate", name)).stdout.trim()).toBe(point === "started" ? "running" : "shut off");
      proc.kill("SIGKILL");
      await proc.exited;

      const listed = await cli(["list", "--json"]);
      expect(listed.json.find((i: { name: string }) => i.name === name)?.problem).toContain("create did not finish");
      const clean = await cli(["clean", "--json"]);
      expect(clean.exitCode).toBe(0);
      expect(clean.json).toContainEqual({ name, removed: "directory", reason: "create did not finish" });
      expect(await leftBehind(name)).toEqual([]);
      expect(cacheDebris()).toEqual([]);
      // The use lease died with the process: the killed create is no user of the image.
      // (Other files of the suite may have instances of the same image in the shared data dir.)
      const images = await cli(["image", "list", "--json"]);
      const tiny = images.json.filter((i: { sources: string[] }) => i.sources.includes(`file://${testImage("tiny")}`));
      expect(tiny.length).toBe(1);
      expect(tiny[0].instances).not.toContain(name);
    }, 120_000);
  }
});

describe("libvirtd restarted during create", () => {
  test("while the guest boots: create waits for the daemon and succeeds", async () => {
    const name = uniqueName("restart");
    const { proc, stderr, stdout } = await createPausedAt(name, "started", ["--json"]);
    // Down while create polls the domain's state and its lease, back 3 s later.
    await stopLibvirtd();
    proc.kill("SIGUSR2");
    await Bun.sleep(3000);
    await startLibvirtd();
    const exitCode = await proc.exited;
    expect({ exitCode, stderr: (await stderr()).split("\n").filter((l) => l.startsWith("error")) }).toEqual({ exitCode: 0, stderr: [] });
    expect(JSON.parse(await stdout).name).toBe(name);
    expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 180_000);
});

// The environment the daemon ran with: it is started again with it, not with the tests'
// (their private TMPDIR, say, which libvirt would hand to swtpm_setup long after they end).
let daemonEnv: Record<string, string> | undefined;

/** Stops libvirtd as an upgrade would: running guests stay up. */
async function stopLibvirtd(): Promise<void> {
  const pid = Bun.spawnSync(["pgrep", "-x", "-o", "libvirtd"]).stdout.toString().trim();
  const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  daemonEnv = Object.fromEntries(environ.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
  Bun.spawnSync(["pkill", "-x", "libvirtd"]);
  for (let i = 0; i < 50 && Bun.spawnSync(["pgrep", "-x", "libvirtd"]).exitCode === 0; i++) await Bun.sleep(100);
}

async function startLibvirtd(): Promise<void> {
  expect(Bun.spawnSync(["libvirtd", "-d"], { env: daemonEnv, cwd: "/" }).exitCode).toBe(0);
  for (let i = 0; i < 100 && Bun.spawnSync(["virsh", "-c", URI, "version"]).exitCode !== 0; i++) await Bun.sleep(100);
}

describe("kill -9 of create during a download", () => {
  test("leaves no partial download once clean has run", async () => {
    const image = await Bun.file(testImage("tiny")).bytes();
    let sent = 0;
    // Sends half the image, then stalls: the download is in progress when create dies.
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              if (sent >= image.length / 2) return new Promise(() => {});
              const chunk = image.subarray(sent, sent + 65536);
              sent += chunk.length;
              controller.enqueue(chunk);
            },
          }),
          { headers: { "content-length": String(image.length) } },
        ),
    });
    try {
      const name = uniqueName("kill-download");
      const proc = Bun.spawn([BIN, "--connect", URI, "create", `http://127.0.0.1:${server.port}/tiny.qcow2`, "--name", name, "--network", NETWORK], {
        env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir },
        stdout: "ignore",
        stderr: "ignore",
      });
      for (let i = 0; i < 300 && (sent < image.length / 2 || cacheDebris().length === 0); i++) await Bun.sleep(50);
      expect(cacheDebris().length).toBeGreaterThan(0);
      proc.kill("SIGKILL");
      await proc.exited;
      expect((await cli(["clean", "--json"])).exitCode).toBe(0);
      expect(cacheDebris()).toEqual([]);
      expect(await leftBehind(name)).toEqual([]);
    } finally {
      server.stop(true);
    }
  }, 60_000);
});
