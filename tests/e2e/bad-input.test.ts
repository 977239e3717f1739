import { describe, expect, test } from "bun:test";
import { readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { BIN, cli, dataDir, leftBehind, NETWORK, testImage, uniqueName, virsh } from "./_env.ts";

describe("create refuses bad input with a one-line error and leaves nothing behind", () => {
  const cases: [string, () => string[], number, string][] = [
    ["a name with a space", () => ["create", testImage("tiny"), "--name", "bad name"], 2, "E_INVALID_NAME"],
    ["an uppercase name", () => ["create", testImage("tiny"), "--name", "Tiny"], 2, "E_INVALID_NAME"],
    ["a name with XML metacharacters", () => ["create", testImage("tiny"), "--name", "a<b>&c"], 2, "E_INVALID_NAME"],
    ["a 64-character name", () => ["create", testImage("tiny"), "--name", "a".repeat(64)], 2, "E_INVALID_NAME"],
    ["an image that does not exist", () => ["create", "/nonexistent/image.qcow2", "--name", uniqueName("noimg")], 4, "E_IMAGE_NOT_FOUND"],
    ["a file that is not a disk image", () => ["create", notAnImage(), "--name", uniqueName("text")], 6, "E_NOT_AN_IMAGE"],
    ["a network that does not exist", () => ["create", testImage("tiny"), "--name", uniqueName("nonet"), "--network", "no-such-net"], 4, "E_NOT_FOUND"],
    ["a zero --ram", () => ["create", testImage("tiny"), "--name", uniqueName("ram"), "--ram", "0"], 2, "E_USAGE"],
    ["a non-numeric --vcpus", () => ["create", testImage("tiny"), "--name", uniqueName("cpu"), "--vcpus", "two"], 2, "E_USAGE"],
  ];
  for (const [what, args, exitCode, code] of cases) {
    test(`${what} → exit ${exitCode} ${code}`, async () => {
      const argv = args();
      const result = await cli([...argv, "--network", argv.includes("--network") ? argv[argv.indexOf("--network") + 1]! : NETWORK, "--json"]);
      expect(result.exitCode).toBe(exitCode);
      expect(result.json.error.code).toBe(code);
      expect(result.json.error.message).not.toContain("\n");
      const name = argv[argv.indexOf("--name") + 1]!;
      expect(await leftBehind(name)).toEqual([]);
    });
  }

  test("without --json the error is one line on stderr and stdout stays empty", async () => {
    const result = await cli(["create", "/nonexistent/image.qcow2", "--name", uniqueName("human"), "--network", NETWORK]);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('error: Image file not found: "/nonexistent/image.qcow2"');
  });

  test("an unreachable libvirt → exit 9 with a hint", async () => {
    const proc = Bun.spawn([BIN, "--connect", "qemu+unix:///system?socket=/nonexistent.sock", "create", testImage("tiny"), "--name", "unreach", "--json"], {
      env: { ...process.env, TESTCLOUD_DATA_DIR: dataDir },
      stdout: "pipe",
    });
    const json = JSON.parse(await new Response(proc.stdout).text());
    expect(await proc.exited).toBe(9);
    expect(json.error).toMatchObject({ code: "E_LIBVIRT_UNAVAILABLE", exitCode: 9 });
    expect(json.error.hint).toContain("libvirtd");
    expect(await leftBehind("unreach")).toEqual([]);
  });

  test("a missing qemu-img → exit 3 naming the package", async () => {
    const bin = scratchDir("tc-path-");
    // The emulator is checked first: it must be there for qemu-img to be the one missing.
    for (const tool of ["virsh", "ssh", "ssh-keygen", "qemu-system-x86_64"]) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const name = uniqueName("noqemuimg");
    const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--json"], { PATH: bin });
    expect(result.exitCode).toBe(3);
    expect(result.json.error).toMatchObject({ code: "E_MISSING_TOOL" });
    expect(result.json.error.hint).toContain("qemu-utils");
    expect(await leftBehind(name)).toEqual([]);
  });

  test("ssh to an instance that does not exist → exit 4", async () => {
    const result = await cli(["ssh", "no-such-instance", "--json", "--", "true"]);
    expect(result.exitCode).toBe(4);
    expect(result.json.error.code).toBe("E_INSTANCE_NOT_FOUND");
  });

  test("remove of an instance that does not exist → exit 4", async () => {
    const result = await cli(["remove", "no-such-instance", "--json"]);
    expect(result.exitCode).toBe(4);
  });

  test("remove does not touch a libvirt domain testcloud did not make", async () => {
    const name = uniqueName("foreign");
    const xml = join(scratchDir("tc-xml-"), "d.xml");
    writeFileSync(xml, `<domain type="qemu"><name>${name}</name><memory unit="MiB">64</memory><os><type>hvm</type></os></domain>`);
    expect((await virsh("define", xml)).exitCode).toBe(0);
    const result = await cli(["remove", name, "--force", "--json"]);
    expect(result.exitCode).toBe(4);
    expect((await virsh("dominfo", name)).exitCode).toBe(0);
    await virsh("undefine", name);
  });
});

function notAnImage(): string {
  const path = join(scratchDir("tc-text-"), "notes.txt");
  writeFileSync(path, "just some text, not a disk image\n".repeat(10));
  return path;
}


test("a data dir the QEMU user cannot traverse → exit 3 E_PERMISSION before anything is made", async () => {
  const privateDir = scratchDir("tc-private-");
  const name = uniqueName("private");
  const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--json"], {
    TESTCLOUD_DATA_DIR: privateDir,
  });
  expect(result.exitCode).toBe(3);
  expect(result.json.error.code).toBe("E_PERMISSION");
  expect(result.json.error.hint).toContain("chmod o+x");
  expect(readdirSync(privateDir)).toEqual([]);
});
