// testcloud runs as root next to other people's VMs: it must never touch a domain it did
// not make, and nobody else may read an instance's secrets.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { domainTitle } from "../../lib/libvirt/domain-title.ts";
import { scratchDir } from "../_helpers.ts";
import { BIN, cli, dataDir, NETWORK, readUntil, testImage, uniqueName, URI, virsh } from "./_env.ts";

/** Defines (and by default starts) a domain testcloud did not make: no disk, it only idles in firmware. */
async function foreignDomain(name: string, options: { start?: boolean; title?: string; metadata?: string } = {}) {
  const dir = scratchDir("tce2e-foreign-");
  const xml = `<domain type="qemu"><name>${name}</name>${options.title ? `<title>${options.title}</title>` : ""}${options.metadata ?? ""}
<memory unit="MiB">32</memory><vcpu>1</vcpu><os><type arch="x86_64" machine="q35">hvm</type></os>
<devices><memballoon model="none"/></devices></domain>`;
  writeFileSync(join(dir, "domain.xml"), xml);
  expect((await virsh("define", join(dir, "domain.xml"))).exitCode).toBe(0);
  if (options.start !== false) expect((await virsh("start", name)).exitCode).toBe(0);
}

const state = async (name: string) => (await virsh("domstate", name)).stdout.trim();

describe("domains testcloud did not make are never touched", () => {
  test("a name virsh would read as a domain ID or UUID is refused, and stop <ID> stops nothing", async () => {
    const foreign = uniqueName("foreign-id");
    await foreignDomain(foreign);
    const id = (await virsh("domid", foreign)).stdout.trim();
    expect(id).toMatch(/^\d+$/);
    for (const args of [["stop", id], ["remove", "--force", id], ["create", testImage("tiny"), "--name", id, "--dry-run"]]) {
      const result = await cli([...args, "--json"]);
      expect([result.exitCode, result.json.error.code]).toEqual([2, "E_INVALID_NAME"]);
    }
    const uuid = (await virsh("domuuid", foreign)).stdout.trim();
    expect((await cli(["stop", uuid, "--json"])).json.error.code).toBe("E_INVALID_NAME");
    expect(await state(foreign)).toBe("running");
  }, 60_000);

  test("remove --force of a hand-made directory leaves the foreign domain of that name running", async () => {
    const foreign = uniqueName("foreign-dir");
    await foreignDomain(foreign);
    mkdirSync(join(dataDir, "instances", foreign), { recursive: true });
    const result = await cli(["remove", "--force", foreign, "--json"]);
    expect(result.json).toEqual({ name: foreign, removedDomain: false, removedFiles: true });
    expect(await state(foreign)).toBe("running");
  }, 60_000);

  test("clean removes the hand-made directory and leaves the domain; and ignores domains that only look like ours", async () => {
    const named = uniqueName("foreign-clean");
    const titled = uniqueName("foreign-titled");
    const claimed = uniqueName("foreign-claims");
    await foreignDomain(named);
    mkdirSync(join(dataDir, "instances", named), { recursive: true });
    // Our title, but no metadata; our metadata, but naming another directory.
    await foreignDomain(titled, { start: false, title: domainTitle(dataDir) });
    const metadata = `<metadata><tc:instance xmlns:tc="https://github.com/testcloud/testcloud/xmlns/instance/1"><tc:dir>/elsewhere/${claimed}</tc:dir></tc:instance></metadata>`;
    await foreignDomain(claimed, { start: false, title: domainTitle(dataDir), metadata });
    const result = await cli(["clean", "--json"]);
    expect(result.exitCode).toBe(0);
    expect(result.json.map((c: { name: string }) => c.name)).not.toContain(titled);
    expect(result.json.map((c: { name: string }) => c.name)).not.toContain(claimed);
    expect(await state(named)).toBe("running");
    expect([await state(titled), await state(claimed)]).toEqual(["shut off", "shut off"]);
  }, 60_000);

  test("create's rollback leaves alone a foreign domain that took the name while it ran", async () => {
    const name = uniqueName("foreign-race");
    const proc = Bun.spawn([BIN, "--connect", URI, "create", testImage("tiny"), "--name", name, "--network", NETWORK, "--json"], {
      env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_TEST_PAUSE: "claimed" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stderr.getReader();
    await readUntil(reader, "test pause at claimed");
    await foreignDomain(name);
    proc.kill("SIGUSR2");
    reader.releaseLock();
    const [exitCode, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
    expect(exitCode).toBe(7);
    expect(JSON.parse(stdout).error.message).toContain("virsh");
    expect(await state(name)).toBe("running");
    expect(readdirSync(join(dataDir, "instances"))).not.toContain(name);
  }, 60_000);
});

describe("an instance's secrets are readable by root and QEMU only", () => {
  test("the instance directory is 0711, every file in it is 0600, and another user reads nothing", async () => {
    const name = uniqueName("modes");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--no-wait", "--password", "s3cret", "--json"]);
    expect(created.exitCode).toBe(0);
    const dir = join(dataDir, "instances", name);
    expect(statSync(dir).mode & 0o777).toBe(0o711);
    for (const sub of ["instances", "images", "images/blobs"]) expect(statSync(join(dataDir, sub)).mode & 0o777).toBe(0o711);
    const loose = readdirSync(dir).filter((f) => statSync(join(dir, f)).mode & 0o077);
    expect(loose).toEqual([]);
    // The seed holds the guest's private host key and the password hash.
    // The disk, the seed QEMU boots from and the console log are volumes of the data dir's pool.
    const pool = join(dataDir, "pool");
    expect(statSync(pool).mode & 0o777).toBe(0o711);
    const { overlay, seed } = created.json.paths;
    expect([overlay, seed].map((p: string) => p.startsWith(`${pool}/`))).toEqual([true, true]);
    expect(readdirSync(pool).filter((f) => statSync(join(pool, f)).mode & 0o077)).toEqual([]);
    for (const file of ["seed.iso", "ssh_host_ed25519_key", "id_ed25519", "user-data", overlay, seed]) {
      const asNobody = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", resolve(dir, file)]);
      expect([file, asNobody.exitCode, asNobody.stderr.toString()]).toEqual([file, 1, expect.stringContaining("Permission denied")]);
    }
    const listing = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ls", dir]);
    expect(listing.exitCode).not.toBe(0);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
  }, 60_000);
});

describe("a data dir testcloud cannot trust or write", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tce2e-datadir-"));
  // QEMU must traverse to a data dir under it: the check for that comes first otherwise.
  chmodSync(scratch, 0o755);
  afterAll(() => {
    Bun.spawnSync(["umount", join(scratch, "ro")]);
    rmSync(scratch, { recursive: true, force: true });
  });
  const run = (dir: string, ...args: string[]) => cli([...args, "--json"], { TESTCLOUD_DATA_DIR: dir });

  test("a file is exit 3 E_PERMISSION, naming it", async () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "");
    for (const args of [["list"], ["create", testImage("tiny"), "--name", "x1"]]) {
      const result = await run(file, ...args);
      expect([result.exitCode, result.json.error.code, result.json.error.message]).toEqual([3, "E_PERMISSION", `Data directory unusable: "${file}": not a directory`]);
    }
  });

  test("a directory others can write is refused before anything in it is read", async () => {
    const open = join(scratch, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const result = await run(open, "list");
    expect([result.exitCode, result.json.error.message]).toEqual([3, `Data directory unusable: "${open}": others can write it (mode 0777)`]);
  });

  test("a read-only directory is exit 3 on create, and nothing is made", async () => {
    const ro = join(scratch, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o755);
    expect(Bun.spawnSync(["mount", "--bind", "-o", "ro", ro, ro]).exitCode).toBe(0);
    const result = await run(ro, "create", testImage("tiny"), "--name", "x2", "--network", NETWORK);
    expect([result.exitCode, result.json.error.message]).toEqual([3, `Data directory unusable: "${ro}": not writable`]);
    expect(readdirSync(ro)).toEqual([]);
  });
});

describe("the directory testcloud is run in", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tce2e-cwd-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("a bunfig.toml there runs no preload script, and a .env there sets no setting", () => {
    // What Bun's runtime would read from the working directory of a standalone executable.
    const marker = join(scratch, "preload-ran");
    writeFileSync(join(scratch, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "");\n`);
    writeFileSync(join(scratch, "bunfig.toml"), `preload = ["./preload.ts"]\n`);
    writeFileSync(join(scratch, ".env"), `TESTCLOUD_DATA_DIR=${join(scratch, "data")}\nTESTCLOUD_RAM=4242\n`);
    const { TESTCLOUD_RAM: _, ...inherited } = process.env;
    const env = { ...inherited, TESTCLOUD_DATA_DIR: dataDir };
    const result = Bun.spawnSync([BIN, "config", "--json"], { cwd: scratch, env, stdout: "pipe", stderr: "pipe" });
    expect(result.exitCode).toBe(0);
    const settings = new Map((JSON.parse(result.stdout.toString()) as { key: string; value: unknown }[]).map((s) => [s.key, s.value]));
    expect([settings.get("dataDir"), settings.get("ram")]).toEqual([dataDir, 1024]);
    expect(readdirSync(scratch).sort()).toEqual([".env", "bunfig.toml", "preload.ts"]);
  });
});
