import { describe, expect, test } from "bun:test";
import { sshJumpFor } from "../../lib/host/ssh-jump.ts";
import { proxyCommand, shellQuote, sshOptions, type SshTarget } from "../../lib/host/ssh.ts";
import { run } from "../../lib/host/run.ts";

describe("sshJumpFor", () => {
  test.each([
    ["qemu:///system", undefined],
    ["qemu:///session", undefined],
    ["qemu+tls://host.example/system", undefined],
    ["qemu+tcp://host.example/system", undefined],
    ["qemu+ssh://host.example/system", { host: "host.example", noVerify: false }],
    ["qemu+ssh://admin@10.0.0.5:2222/system?keyfile=/k/id&no_verify=1", { host: "10.0.0.5", port: 2222, user: "admin", keyPath: "/k/id", noVerify: true }],
    ["qemu+libssh://root@10.213.0.2/system?keyfile=/k/id&known_hosts=/k/kh&sshauth=privkey", { host: "10.213.0.2", user: "root", keyPath: "/k/id", knownHostsPath: "/k/kh" }],
    ["qemu+libssh2://[fd00::2]/system", { host: "fd00::2" }],
  ])("%s → %j", (uri, jump) => {
    const found = sshJumpFor(uri);
    if (jump === undefined) expect(found).toBeUndefined();
    else expect(found).toMatchObject(jump);
  });
});

describe("proxyCommand", () => {
  test("reaches the guest with -W %h:%p through the jump, with the URI's key, port, user and known_hosts", () => {
    const command = proxyCommand({ host: "10.213.0.2", port: 2222, user: "root", keyPath: "/k/id", knownHostsPath: "/k/kh" });
    expect(command).toBe("ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR -i /k/id -o IdentitiesOnly=yes -o UserKnownHostsFile=/k/kh -p 2222 -l root -W %h:%p -- 10.213.0.2");
  });

  test("quotes every value for the shell ssh runs it with, and doubles % so ssh expands only %h and %p", async () => {
    const evil = "/tmp/a b'$(touch /tmp/pwned)%d";
    const command = proxyCommand({ host: "h", keyPath: evil });
    expect(command).toContain(shellQuote(evil).replace(/%/g, "%%"));
    // What ssh hands to the shell once it has expanded %%: the words come back exactly.
    const expanded = command.replace(/%%/g, "%").replace("%h:%p", "g:22");
    const echoed = await run(["sh", "-c", `printf '%s\\n' ${expanded.replace(/^ssh /, "")}`]);
    expect(echoed.stdout.split("\n")).toContain(evil);
  });

  test("no_verify=1 turns host-key checking off for the jump only, as libvirt does for its own connection", () => {
    expect(proxyCommand({ host: "h", noVerify: true })).toContain("-o StrictHostKeyChecking=no");
    expect(proxyCommand({ host: "h" })).not.toContain("StrictHostKeyChecking");
  });

  test("sshOptions adds the ProxyCommand only for a guest behind a jump host, after strict checking of the guest", () => {
    const target: SshTarget = { host: "127.0.0.1", port: 2222, user: "u", keyPath: "/i/k", knownHostsPath: "/i/kh", hostKeyAlias: "testcloud-x" };
    expect(sshOptions(target).join(" ")).not.toContain("ProxyCommand");
    const behind = sshOptions({ ...target, jump: { host: "10.213.0.2" } });
    expect(behind).toContain(`ProxyCommand=${proxyCommand({ host: "10.213.0.2" })}`);
    expect(behind).toContain("StrictHostKeyChecking=yes");
  });
});
