import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, leftBehind, NETWORK, testImage, uniqueName } from "./_env.ts";

const scratch = scratchDir("tc-prov-");
const file = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};

describe("user-data on the tiny image", () => {
  test("a shell-script user-data runs, and our keys still arrive through vendor-data", async () => {
    const name = uniqueName("script");
    const script = file("script.sh", "#!/bin/sh\necho scripted-$(hostname) > /run/tc-script\n");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, "--ram", "256", "--user-data", script, "--wait", "cloud-init", "--json"]);
    expect(created.exitCode).toBe(0);
    expect((await cli(["ssh", name, "--", "cat", "/run/tc-script"])).stdout.trim()).toBe(`scripted-${name}`);
    expect(readFileSync(join(created.json.paths.dir, "user-data"), "utf8")).toBe(readFileSync(script, "utf8"));
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
  }, 300_000);

  test("malformed user-data, a missing file and bad meta-data fail before anything is made", async () => {
    const name = uniqueName("baduser");
    const bad = file("bad.yaml", "#cloud-config\nruncmd: [unclosed\n");
    const cases: [string[], number, string][] = [
      [["--user-data", bad], 2, "E_USER_DATA_INVALID"],
      [["--user-data", join(scratch, "missing.yaml")], 4, "E_USER_DATA_NOT_FOUND"],
      [["--meta-data", "instance-id=mine"], 2, "E_META_DATA_INVALID"],
    ];
    for (const [extra, exitCode, code] of cases) {
      const result = await cli(["create", testImage("tiny"), "--name", name, "--network", NETWORK, ...extra, "--json"]);
      expect(result.exitCode).toBe(exitCode);
      expect(result.json.error.code).toBe(code);
      expect(await leftBehind(name)).toEqual([]);
    }
  });
});

describe("user-data and network-config on the Debian image (real cloud-init)", () => {
  test("runcmd marker, an extra user with the user's key, a static address; still no password", async () => {
    const name = uniqueName("debprov");
    const keyPath = join(scratch, "alice");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyPath]);
    const alicePub = readFileSync(`${keyPath}.pub`, "utf8").trim();
    const userData = file(
      "user-data.yaml",
      // permissions: 0600 is octal to cloud-init's YAML 1.1 (384): read as 600 the file would get mode 1130.
      `#cloud-config\nusers:\n  - name: alice\n    shell: /bin/bash\n    ssh_authorized_keys:\n      - ${alicePub}\nruncmd:\n  - echo marker-$(hostname) > /run/tc-marker\nwrite_files:\n  - path: /run/tc-mode\n    content: x\n    permissions: 0600\n`,
    );
    // User-mode networking forwards ssh to 10.0.2.15, so that is the static address we give.
    const networkConfig = file(
      "network-config.yaml",
      "version: 2\nethernets:\n  eth0:\n    dhcp4: false\n    addresses: [10.0.2.15/24]\n    routes:\n      - to: default\n        via: 10.0.2.2\n",
    );
    const created = await cli(["create", testImage("debian"), "--name", name, "--network", "user", "--user-data", userData, "--network-config", networkConfig, "--wait", "cloud-init", "--timeout", "900", "--json"]);
    // On failure, the error document (with the console's tail) says why.
    expect({ exitCode: created.exitCode, error: created.json?.error, stderr: created.stderr }).toEqual({ exitCode: 0, error: undefined, stderr: "" });

    expect((await cli(["ssh", name, "--", "cat", "/run/tc-marker"])).stdout.trim()).toBe(`marker-${name}`);
    expect((await cli(["ssh", name, "--", "stat", "-c", "%a", "/run/tc-mode"])).stdout.trim()).toBe("600");
    // No "dynamic" flag: the address is static, from our network-config, not from DHCP.
    const addr = (await cli(["ssh", name, "--", "ip", "-o", "-4", "addr", "show", "dev", "eth0"])).stdout;
    expect(addr).toContain("10.0.2.15/24");
    expect(addr).not.toContain("dynamic");

    // alice logs in with her own key, checked against the same pinned host key.
    const info = created.json;
    const alice = spawnSync("ssh", ["-i", keyPath, "-p", String(info.sshPort), "-o", "IdentitiesOnly=yes", "-o", `UserKnownHostsFile=${info.knownHostsPath}`, "-o", "StrictHostKeyChecking=yes", "-o", `HostKeyAlias=testcloud-${name}`, "-o", "BatchMode=yes", `alice@127.0.0.1`, "whoami"], { encoding: "utf8" });
    expect(alice.stdout.trim()).toBe("alice");

    const shadow = (await cli(["ssh", name, "--", "sudo", "-n", "cat", "/etc/shadow"])).stdout;
    for (const user of ["root", "cloud-user", "alice"]) {
      const hash = shadow.split("\n").find((l) => l.startsWith(`${user}:`))?.split(":")[1] ?? "";
      expect(hash.startsWith("$")).toBe(false);
    }
    expect((await cli(["remove", "-f", name])).exitCode).toBe(0);
    expect(await leftBehind(name)).toEqual([]);
  }, 1_200_000);
});
