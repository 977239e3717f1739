/**
 * A second libvirt host (scripts/second-host.sh: its own network and mount namespaces, its
 * own libvirtd and an sshd, reached as qemu+libssh://root@10.213.0.2/system) and the fleet
 * verbs: disks in a pool on that host, the image uploaded once, ssh and cp through the host,
 * the console log through libvirt, `list --all-hosts` with a host that is down or silent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { cli, dataDir, testImage, uniqueName } from "./_env.ts";

const SCRIPT = resolve(import.meta.dir, "../../scripts/second-host.sh");
const BOOT = 300_000;
const HOST_TIMEOUT_S = 10;
const scratch = mkdtempSync(join(tmpdir(), "testcloud-remote-"));
let remote = "";
let env: Record<string, string> = {};
const silent: { stop(closeActive?: boolean): void }[] = [];

function secondHost(verb: string): string {
  const proc = Bun.spawnSync(["bash", SCRIPT, verb], { stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`second-host.sh ${verb} failed: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

async function remoteVirsh(...args: string[]): Promise<{ stdout: string; exitCode: number }> {
  const proc = Bun.spawn(["virsh", "-q", "-c", remote, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { stdout, exitCode };
}

// This data dir's pool on the second host, named as lib/instance/host-pool.ts names it.
const POOL = `testcloud-${new Bun.CryptoHasher("sha256").update(dataDir).digest("hex").slice(0, 12)}`;

/** Names of the volumes in this data dir's pool on the second host. */
async function remoteVolumes(): Promise<string[]> {
  await remoteVirsh("pool-refresh", POOL);
  return (await remoteVirsh("vol-list", "--pool", POOL)).stdout.split("\n").map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}

let wasRunning = false;

beforeAll(() => {
  wasRunning = Bun.spawnSync(["bash", SCRIPT, "status"]).exitCode === 0;
  // Idempotent: (re)starts whatever is not running, e.g. after another test's `pkill -x libvirtd`.
  for (const line of secondHost("start").trim().split("\n")) {
    const at = line.indexOf("=");
    env[line.slice(0, at)] = line.slice(at + 1).replace(/^'|'$/g, "");
  }
  remote = env.TESTCLOUD_SECOND_HOST_URI!;
  // A host that accepts connections and never says a word: what a hung machine looks like.
  const mute = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  silent.push(mute);
  const hung = `qemu+ssh://root@127.0.0.1:${mute.port}/system?keyfile=${env.TESTCLOUD_SECOND_HOST_KEY}&no_verify=1`;
  const config = join(scratch, "testcloud", "config.toml");
  Bun.spawnSync(["mkdir", "-p", join(scratch, "testcloud")]);
  writeFileSync(config, `hostTimeout = ${HOST_TIMEOUT_S}\n[hosts]\nlocal = "qemu:///system"\nremote = "${remote}"\nhung = "${hung}"\n`);
}, 120_000);

afterAll(async () => {
  for (const socket of silent) socket.stop(true);
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

const withConfig = () => ({ XDG_CONFIG_HOME: scratch });

describe("an instance on a remote libvirt host", () => {
  test("create, ssh, console --log, stop/start and cp work through the host; the last remove leaves nothing in the host's pool", async () => {
    const name = uniqueName("remote");
    const created = await cli(["create", testImage("tiny"), "--host", "remote", "--name", name, "--network", "user", "--ram", "256"], withConfig());
    expect(created.stderr).toContain("Uploaded the image to the host's pool");
    expect(created.exitCode).toBe(0);
    const info = await cli(["info", name, "--json"], withConfig());
    expect(info.json).toMatchObject({ name, state: "running", uri: remote, ip: "127.0.0.1" });
    expect(info.json.paths.overlay).toStartWith("/var/lib/libvirt/images/testcloud-");
    expect((await remoteVirsh("domstate", name)).stdout.trim()).toBe("running");

    // The ssh forward listens on the remote host's loopback, not on this machine's.
    const portHex = `0100007F:${info.json.sshPort.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A`;
    const sshOptions = ["-F", "/dev/null", "-i", env.TESTCLOUD_SECOND_HOST_KEY!, "-o", `UserKnownHostsFile=${env.TESTCLOUD_SECOND_HOST_KNOWN_HOSTS}`, "-o", "BatchMode=yes"];
    const theirs = Bun.spawnSync(["ssh", ...sshOptions, `root@${env.TESTCLOUD_SECOND_HOST_ADDR}`, "cat", "/proc/net/tcp"]).stdout.toString();
    expect(theirs).toContain(portHex);
    expect(await Bun.file("/proc/net/tcp").text()).not.toContain(portHex);

    // The record names the host: --host is optional for the instance's own verbs.
    const ssh = await cli(["ssh", name, "--", "hostname"], withConfig());
    expect(ssh.stdout.trim()).toBe(name);
    expect(ssh.exitCode).toBe(0);
    const viaHost = await cli(["ssh", "--host", "remote", name, "--", "cat", "/proc/cmdline"], withConfig());
    expect(viaHost.exitCode).toBe(0);

    const log = await cli(["console", "--log", name, "--json"], withConfig());
    expect(log.exitCode).toBe(0);
    expect(log.json.path).toStartWith("/var/lib/libvirt/images/testcloud-");
    expect(log.json.lines.join("\n")).toMatch(/Linux|dropbear|login/i);

    const file = join(scratch, "payload.txt");
    writeFileSync(file, "through the jump host\n");
    expect((await cli(["cp", file, `${name}:/tmp/payload.txt`], withConfig())).exitCode).toBe(0);
    expect((await cli(["ssh", name, "--", "cat", "/tmp/payload.txt"], withConfig())).stdout).toBe("through the jump host\n");

    const sshConfig = await cli(["ssh-config", name], withConfig());
    expect(sshConfig.stdout).toContain("ProxyCommand ssh ");
    expect(sshConfig.stdout).toContain(`-- ${env.TESTCLOUD_SECOND_HOST_ADDR}`);

    expect((await cli(["stop", name, "--json"], withConfig())).json).toMatchObject({ name, state: "shut off" });
    const started = await cli(["start", name, "--json"], withConfig());
    expect(started.exitCode).toBe(0);
    expect(started.json).toMatchObject({ name, state: "running" });
    expect((await cli(["ssh", name, "--", "hostname"], withConfig())).stdout.trim()).toBe(name);

    // A second instance from the same image: the host has it already.
    const base = (await remoteVolumes()).filter((v) => v.startsWith("base-sha256-"));
    expect(base).toHaveLength(1);
    const second = uniqueName("remote2");
    const again = await cli(["create", testImage("tiny"), "--host", "remote", "--name", second, "--network", "user", "--ram", "256", "--no-wait"], withConfig());
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toContain("Uploaded");
    expect((await remoteVolumes()).filter((v) => v.startsWith("base-sha256-"))).toEqual(base);

    const removed = async (n: string) => (await cli(["remove", "--force", n, "--json"], withConfig())).json;
    expect(await removed(name)).toEqual({ name, removedDomain: true, removedFiles: true });
    // Its own volumes go; the second instance's disk is backed by the host's copy of the image: it stays.
    const left = await remoteVolumes();
    expect(left.filter((v) => v.startsWith(`${name}-`))).toEqual([]);
    expect(left.filter((v) => v.startsWith("base-sha256-"))).toEqual(base);
    expect((await remoteVirsh("dominfo", name)).exitCode).not.toBe(0);
    expect(await removed(second)).toEqual({ name: second, removedDomain: true, removedFiles: true });
    // Its last user gone, the copy goes, and the pool with it: no volume, no pool, no directory.
    expect((await remoteVirsh("pool-info", POOL)).exitCode).not.toBe(0);
    const dir = Bun.spawnSync(["ssh", ...sshOptions, `root@${env.TESTCLOUD_SECOND_HOST_ADDR}`, "test", "-e", `/var/lib/libvirt/images/${POOL}`]);
    expect(dir.exitCode).toBe(1);
  }, BOOT);
});

describe("the fleet", () => {
  test("list --all-hosts shows the instances of both hosts, and reports a silent host as down within its timeout", async () => {
    const here = uniqueName("here");
    const there = uniqueName("there");
    for (const [host, name] of [["local", here], ["remote", there]] as const) {
      const made = await cli(["create", testImage("tiny"), "--host", host, "--name", name, "--network", "user", "--ram", "256", "--no-wait", "--json"], withConfig());
      expect(made.exitCode).toBe(0);
    }
    const started = performance.now();
    const all = await cli(["list", "--all-hosts", "--json"], withConfig());
    const ms = performance.now() - started;
    expect(all.exitCode).toBe(0);
    expect(all.json.instances).toContainEqual(expect.objectContaining({ name: here, host: "local", uri: "qemu:///system" }));
    expect(all.json.instances).toContainEqual(expect.objectContaining({ name: there, host: "remote", uri: remote }));
    expect(all.json.hosts).toContainEqual(expect.objectContaining({ name: "remote", up: true, error: null }));
    expect(all.json.hosts).toContainEqual(expect.objectContaining({ name: "hung", up: false }));
    // Asked in parallel: the silent host costs its timeout once, not on top of the others.
    expect(ms).toBeLessThan((HOST_TIMEOUT_S + 4) * 1000);

    const human = await cli(["list", "--all-hosts"], withConfig());
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${there}\\s+remote\\s+`));
    expect(human.stdout).toContain("host hung is down");

    for (const name of [here, there]) expect((await cli(["remove", "--force", name], withConfig())).exitCode).toBe(0);
  }, BOOT);

  test("with the remote libvirtd stopped, list --all-hosts answers and marks that host down", async () => {
    const name = uniqueName("orphan");
    expect((await cli(["create", testImage("tiny"), "--host", "remote", "--name", name, "--network", "user", "--ram", "256", "--no-wait"], withConfig())).exitCode).toBe(0);
    secondHost("stop-libvirtd");
    try {
      const started = performance.now();
      const all = await cli(["list", "--all-hosts", "--json"], withConfig());
      expect(performance.now() - started).toBeLessThan((HOST_TIMEOUT_S + 4) * 1000);
      expect(all.exitCode).toBe(0);
      expect(all.json.hosts).toContainEqual(expect.objectContaining({ name: "remote", up: false }));
      expect(all.json.hosts).toContainEqual(expect.objectContaining({ name: "local", up: true }));
      expect(all.json.instances).toContainEqual(expect.objectContaining({ name, host: "remote", state: "unknown" }));
    } finally {
      secondHost("start-libvirtd");
    }
    expect((await cli(["remove", "--force", name], withConfig())).exitCode).toBe(0);
  }, BOOT);

  test("create --host auto says which host it chose, and refuses when none has room", async () => {
    const plan = await cli(["create", testImage("tiny"), "--host", "auto", "--name", uniqueName("auto"), "--ram", "256", "--network", "user", "--dry-run", "--json"], withConfig());
    expect(plan.exitCode).toBe(0);
    expect(plan.stderr).toMatch(/Placing on host "(local|remote)"/);
    const full = await cli(["create", testImage("tiny"), "--host", "auto", "--ram", "1000000000", "--network", "user", "--json"], withConfig());
    expect(full.json.error.code).toBe("E_NO_HOST");
    expect(full.exitCode).toBe(10);
  }, 60_000);

  test("--host names a configured host: an unknown one, or with --connect, is a usage error", async () => {
    const unknown = await cli(["list", "--host", "nowhere", "--json"], withConfig());
    expect(unknown.exitCode).toBe(2);
    expect(unknown.json.error.message).toContain("local, remote");
    const both = await cli(["list", "--host", "remote", "--connect", "qemu:///system", "--json"], withConfig());
    expect(both.exitCode).toBe(2);
  });
});

// The suite's data dir has its own pool on the second host: it goes with the data dir.
afterAll(async () => {
  for (const vol of await remoteVolumes()) await remoteVirsh("vol-delete", "--pool", POOL, vol);
  for (const verb of ["pool-destroy", "pool-delete", "pool-undefine"]) await remoteVirsh(verb, POOL);
  // Left as found: a second host someone had running stays up.
  if (!wasRunning) secondHost("stop");
}, 120_000);
