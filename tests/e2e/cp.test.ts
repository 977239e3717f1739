// cp and ssh --env/--workdir through dist/testcloud against a running tiny guest (busybox
// and dropbear: no scp, no sftp-server): bytes round-trip exactly both ways, trees with -r,
// and a failed or interrupted copy leaves nothing at its destination on either side.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cli, dataDir, NETWORK, testImage, uniqueName, URI } from "./_env.ts";

const name = uniqueName("cp");
const host = mkdtempSync(join(tmpdir(), "tce2e-cp-"));
const sha256 = (data: Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");
const guest = async (command: string) => (await cli(["ssh", name, "--json", "--", command])).json as { exitCode: number; stdout: string; stderr: string };
/** Temporary names a copy would leave: ".NAME.testcloud-cp.X" on the host, ".testcloud-cp.X" in the guest. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes("testcloud-cp"));

beforeAll(async () => {
  const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "512", "--json"]);
  expect(created.exitCode).toBe(0);
}, 300_000);

afterAll(async () => {
  await cli(["remove", "--force", name]);
  rmSync(host, { recursive: true, force: true });
}, 120_000);

describe("cp on the tiny image", () => {
  test("a file of several MiB round-trips byte for byte in both directions", async () => {
    const data = randomBytes(6 * 2 ** 20 + 123);
    writeFileSync(join(host, "random.bin"), data);
    chmodSync(join(host, "random.bin"), 0o640);
    const up = await cli(["cp", join(host, "random.bin"), `${name}:/tmp/`, "--json"]);
    expect(up.exitCode).toBe(0);
    expect(up.json).toMatchObject({ name, direction: "upload", bytes: data.length, files: [{ source: join(host, "random.bin"), destination: "/tmp/random.bin", kind: "file", bytes: data.length }] });
    expect(up.json.seconds).toBeGreaterThan(0);
    expect((await guest("sha256sum /tmp/random.bin; stat -c %a /tmp/random.bin")).stdout).toBe(`${sha256(data)}  /tmp/random.bin\n640\n`);

    const down = await cli(["cp", `${name}:/tmp/random.bin`, join(host, "back.bin"), "--json"]);
    expect(down.exitCode).toBe(0);
    expect(down.json).toMatchObject({ direction: "download", files: [{ source: "/tmp/random.bin", destination: join(host, "back.bin"), bytes: data.length }] });
    expect(sha256(readFileSync(join(host, "back.bin")))).toBe(sha256(data));
    expect(statSync(join(host, "back.bin")).mode & 0o777).toBe(0o640);
    expect(leftovers(host)).toEqual([]);
    expect((await guest("ls -a /tmp")).stdout).not.toContain("testcloud-cp");
  }, 180_000);

  test("without --json it prints one summary line and no progress when stderr is not a terminal", async () => {
    writeFileSync(join(host, "small.txt"), "small\n");
    const result = await cli(["cp", join(host, "small.txt"), `${name}:small.txt`]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^copied ${join(host, "small.txt")} to ${name}:small.txt \\(6 B in [\\d.]+ s, .*/s\\)\\n$`));
    expect(result.stderr).toBe("");
    // A relative guest path is in the user's home, and ~/ is that home too.
    expect((await guest("cat ~/small.txt")).stdout).toBe("small\n");
    expect((await cli(["cp", `${name}:~/small.txt`, join(host, "small-back.txt")])).exitCode).toBe(0);
    expect(readFileSync(join(host, "small-back.txt"), "utf8")).toBe("small\n");
  }, 60_000);

  test("-r copies a nested tree into an existing guest directory and back", async () => {
    const tree = join(host, "tree");
    mkdirSync(join(tree, "a/b/c"), { recursive: true });
    mkdirSync(join(tree, "empty"));
    writeFileSync(join(tree, "top.txt"), "top\n");
    writeFileSync(join(tree, "a/b/c/deep.bin"), randomBytes(300_000));
    writeFileSync(join(tree, "a/name with spaces\nand a newline"), "odd\n");
    symlinkSync("a/b/c/deep.bin", join(tree, "link"));
    chmodSync(join(tree, "a"), 0o750);
    const up = await cli(["cp", "-r", tree, `${name}:/tmp/`, "--json"]);
    expect(up.exitCode).toBe(0);
    expect(up.json.files).toEqual([{ source: tree, destination: "/tmp/tree", kind: "directory", bytes: 300_000 + 4 + 4 }]);
    expect((await guest("cd /tmp/tree && sha256sum a/b/c/deep.bin && readlink link && stat -c %a a")).stdout).toBe(
      `${sha256(readFileSync(join(tree, "a/b/c/deep.bin")))}  a/b/c/deep.bin\na/b/c/deep.bin\n750\n`,
    );

    const down = await cli(["cp", "-r", `${name}:/tmp/tree`, join(host, "tree-back")]);
    expect(down.exitCode).toBe(0);
    const back = join(host, "tree-back");
    expect(readFileSync(join(back, "a/b/c/deep.bin"))).toEqual(readFileSync(join(tree, "a/b/c/deep.bin")));
    expect(readFileSync(join(back, "a/name with spaces\nand a newline"), "utf8")).toBe("odd\n");
    expect(readlinkSync(join(back, "link"))).toBe("a/b/c/deep.bin");
    expect(statSync(join(back, "a")).mode & 0o777).toBe(0o750);
    expect(readdirSync(join(back, "empty"))).toEqual([]);

    // A second copy never merges into the first.
    const again = await cli(["cp", "-r", tree, `${name}:/tmp/`, "--json"]);
    expect({ exitCode: again.exitCode, code: again.json.error.code }).toEqual({ exitCode: 5, code: "E_EXISTS" });
  }, 180_000);

  test("several sources go into a directory, both ways", async () => {
    writeFileSync(join(host, "one"), "1");
    writeFileSync(join(host, "two"), "22");
    expect((await guest("mkdir -p /tmp/many")).exitCode).toBe(0);
    const up = await cli(["cp", join(host, "one"), join(host, "two"), `${name}:/tmp/many`, "--json"]);
    expect(up.json).toMatchObject({ bytes: 3, files: [{ destination: "/tmp/many/one" }, { destination: "/tmp/many/two" }] });
    const into = join(host, "into");
    mkdirSync(into);
    const down = await cli(["cp", `${name}:/tmp/many/one`, `${name}:/tmp/many/two`, into]);
    expect(down.exitCode).toBe(0);
    expect(readdirSync(into).sort()).toEqual(["one", "two"]);
  }, 60_000);

  test("bad input on a running instance: one line, its exit code, nothing made", async () => {
    const cases: [string[], number, string][] = [
      [[`${name}:/nonexistent`, host], 4, "E_NOT_FOUND"],
      [[join(host, "one"), `${name}:/nonexistent/dir/`], 4, "E_NOT_FOUND"],
      [[join(host, "one"), `${name}:/nonexistent/file`], 4, "E_NOT_FOUND"],
      [[join(host, "one"), join(host, "two"), `${name}:/tmp/many/one`], 2, "E_USAGE"],
      [[`${name}:/tmp`, host], 2, "E_USAGE"],
      [[`${name}:/dev/null`, host], 2, "E_USAGE"],
      [[`${name}:/etc/hostname`, join(host, "nonexistent/x")], 4, "E_NOT_FOUND"],
    ];
    const before = readdirSync(host).sort();
    for (const [words, exitCode, code] of cases) {
      const result = await cli(["cp", ...words, "--json"]);
      expect({ words, exitCode: result.exitCode, code: result.json?.error?.code }).toEqual({ words, exitCode, code });
      const human = await cli(["cp", ...words]);
      expect(human.stderr.split("\n").filter((l) => l.startsWith("error: "))).toHaveLength(1);
    }
    expect(readdirSync(host).sort()).toEqual(before);
  }, 120_000);

  test("a copy that fails midway (the guest file system fills up) leaves no partial file", async () => {
    const mounted = await guest("sudo mkdir -p /mnt/small && sudo mount -t tmpfs -o size=1m tmpfs /mnt/small && sudo chmod 1777 /mnt/small");
    expect(mounted.exitCode).toBe(0);
    writeFileSync(join(host, "three.bin"), randomBytes(3 * 2 ** 20));
    const result = await cli(["cp", join(host, "three.bin"), `${name}:/mnt/small/`, "--json"]);
    expect({ exitCode: result.exitCode, code: result.json.error.code }).toEqual({ exitCode: 7, code: "E_TOOL" });
    expect(result.json.error.message).toContain("No space left on device");
    expect((await guest("ls -A /mnt/small")).stdout).toBe("");
    // A tree too.
    const big = join(host, "bigtree");
    mkdirSync(big);
    writeFileSync(join(big, "f"), randomBytes(2 * 2 ** 20));
    expect((await cli(["cp", "-r", big, `${name}:/mnt/small/`])).exitCode).toBe(7);
    expect((await guest("ls -A /mnt/small")).stdout).toBe("");
  }, 120_000);

  test.each([
    ["an upload", () => [join(host, "interrupted.bin"), `${name}:/tmp/interrupted.bin`]],
    ["a download", () => [`${name}:/tmp/interrupted.bin`, join(host, "interrupted-back.bin")]],
  ])("Ctrl-C during %s exits 130 and leaves nothing at the destination", async (what, words) => {
    if (what === "an upload") writeFileSync(join(host, "interrupted.bin"), randomBytes(48 * 2 ** 20));
    else expect((await guest("head -c 50331648 /dev/urandom > /tmp/interrupted.bin")).exitCode).toBe(0);
    const proc = Bun.spawn([BIN, "--connect", URI, "cp", ...words()], { env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir }, stdout: "pipe", stderr: "pipe" });
    // Interrupt once data flows: a temporary file exists on the receiving side.
    const receiving = async () => (what === "an upload" ? (await guest("ls -A /tmp")).stdout.includes("testcloud-cp") : leftovers(host).length > 0);
    for (let i = 0; i < 200 && !(await receiving()); i++) await Bun.sleep(100);
    expect(await receiving()).toBe(true);
    proc.kill("SIGINT");
    const [stderr, exitCode] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect({ exitCode, stderr }).toMatchObject({ exitCode: 130, stderr: expect.stringContaining("Interrupted") });
    if (what === "an upload") {
      // The guest notices the closed connection on its own: give it a moment.
      let left = "";
      for (let i = 0; i < 20; i++) {
        left = (await guest("ls -A /tmp")).stdout;
        if (!left.includes("testcloud-cp")) break;
        await Bun.sleep(500);
      }
      expect(left).not.toContain("testcloud-cp");
      expect(left).not.toContain("interrupted.bin");
    } else {
      expect(leftovers(host)).toEqual([]);
      expect(existsSync(join(host, "interrupted-back.bin"))).toBe(false);
    }
  }, 120_000);
});

describe("ssh --env and --workdir on the tiny image", () => {
  test("the remote command runs in the directory with the variables, quoted as given", async () => {
    const result = await cli(["ssh", name, "--workdir", "/tmp", "--env", "A=one two", "--env", "B=it's $HOME", "--json", "--", 'pwd; printf "%s|%s\\n" "$A" "$B"']);
    expect(result.json).toMatchObject({ exitCode: 0, stdout: "/tmp\n" + "one two|it's $HOME\n" });
    const words = await cli(["ssh", name, "--workdir", "/etc", "--json", "--", "cat", "hostname"]);
    expect(words.json.stdout).toBe(`${name}\n`);
  }, 60_000);

  test("a working directory that does not exist fails with a message naming it, and runs nothing", async () => {
    const result = await cli(["ssh", name, "--workdir", "/nonexistent", "--json", "--", "echo ran"]);
    expect(result.json.exitCode).not.toBe(0);
    expect(result.json.stdout).toBe("");
    expect(result.json.stderr).toContain("/nonexistent");
  }, 60_000);

  test("without a command the login shell gets them too", async () => {
    const proc = Bun.spawn([BIN, "--connect", URI, "ssh", name, "--workdir", "/tmp", "--env", "GREETING=hi there"], {
      env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir },
      stdin: new Blob(['pwd; echo "$GREETING"\n']),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect({ exitCode, stdout }).toEqual({ exitCode: 0, stdout: "/tmp\nhi there\n" });
  }, 60_000);
});

describe("ssh stopped by SIGTERM on the tiny image", () => {
  test.each([["with --json", ["--json"]], ["without", []]])("%s: exits 130 at once, and ssh goes with it", async (_, json) => {
    const proc = Bun.spawn([BIN, "--connect", URI, "ssh", name, ...json, "--", "echo started; sleep 300"], {
      env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir },
      stdout: "pipe",
      stderr: "pipe",
    });
    // The remote command runs: then the signal.
    const sshRunning = async () => (await Bun.$`pgrep -f -- ${`instances/${name}/`}`.nothrow().quiet()).exitCode === 0;
    for (let i = 0; i < 100 && !(await sshRunning()); i++) await Bun.sleep(100);
    expect(await sshRunning()).toBe(true);
    await Bun.sleep(1000);
    const start = performance.now();
    proc.kill("SIGTERM");
    // Our pipes close only once every process holding them is gone: ssh too.
    const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(exitCode).toBe(130);
    expect(json.length ? JSON.parse(stdout).error.code : stderr).toContain(json.length ? "E_INTERRUPTED" : "Interrupted");
    expect(await sshRunning()).toBe(false);
  }, 60_000);
});
