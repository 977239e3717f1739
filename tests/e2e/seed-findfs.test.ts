import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { BIN, cli, dataDir, leftBehind, NETWORK, testImage, uniqueName, URI } from "./_env.ts";

const BOOT = 240_000;
const PASSWORD = "hunter2 from a file";
const scratch = scratchDir("tc-findfs-");
const passwordFile = join(scratch, "password");
writeFileSync(passwordFile, `${PASSWORD}\nnot part of it\n`);

/** The libc's crypt(3) of `password` with the salt and rounds of `hash`, through perl. */
function libcCrypt(password: string, hash: string): string {
  const salt = hash.slice(0, hash.lastIndexOf("$") + 1);
  const proc = Bun.spawnSync(["perl", "-e", "print crypt($ARGV[0], $ARGV[1])", password, salt], { stdout: "pipe" });
  return proc.stdout.toString();
}

/** The `passwd:` hash in rendered user-data. */
function passwordHash(userData: string): string {
  return /^ {4}passwd: "(\$6\$[^"]+)"$/m.exec(userData)?.[1] ?? "";
}

describe("the tiny image looks its seed up with busybox findfs, as busybox-based guests do", () => {
  test("findfs LABEL=cidata names the seed disk, and rcS found the seed that way", async () => {
    const name = uniqueName("findfs");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--password-file", passwordFile, "--json"]);
    expect(created.exitCode).toBe(0);

    const findfs = await cli(["ssh", name, "--json", "--", "sudo", "-n", "findfs", "LABEL=cidata"]);
    expect(findfs.json).toMatchObject({ exitCode: 0, stdout: "/dev/vdb\n" });
    const found = await cli(["ssh", name, "--", "cat", "/run/tiny/seeddev", "/run/tiny/seed-method"]);
    expect(found.stdout).toBe("/dev/vdb\nfindfs\n");
    const markers = await cli(["ssh", name, "--", "cat", "/run/tiny/markers.log"]);
    expect(markers.stdout).toContain("seed found on /dev/vdb (iso9660, by findfs)");
    expect(statSync(created.json.paths.seed).size).toBeGreaterThanOrEqual(64 * 1024);

    // --password-file: the seed's user-data holds a hash of the file's first line, never the password.
    const userData = readFileSync(join(created.json.paths.dir, "user-data"), "utf8");
    const hash = passwordHash(userData);
    expect(hash).toMatch(/^\$6\$rounds=100000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(libcCrypt(PASSWORD, hash)).toBe(hash);
    expect(userData).not.toContain("hunter2");

    expect((await cli(["remove", name, "--force"])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, BOOT);
});

describe("create --password-file", () => {
  test("- reads the password from stdin; the dry run's user-data holds only its hash", async () => {
    const proc = Bun.spawn(
      [BIN, "--connect", URI, "create", testImage("tiny"), "--name", uniqueName("pwstdin"), "--network", NETWORK, "--password-file", "-", "--dry-run", "--json"],
      { env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir }, stdin: new TextEncoder().encode("from stdin\n"), stdout: "pipe", stderr: "pipe" },
    );
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(exitCode).toBe(0);
    const plan = JSON.parse(stdout);
    const hash = passwordHash(plan.userData);
    expect(hash).toStartWith("$6$rounds=100000$");
    expect(libcCrypt("from stdin", hash)).toBe(hash);
    expect(plan.userData).not.toContain("from stdin");
  });

  test("together with --password is a usage error, and nothing is made", async () => {
    const name = uniqueName("pwboth");
    const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--password", "x", "--password-file", passwordFile, "--json"]);
    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({ code: "E_USAGE", message: "Use either --password or --password-file, not both" });
    expect(await leftBehind(name)).toEqual([]);
  });
});
