import { describe, expect, test } from "bun:test";
import { renderIgnition } from "../../lib/guest/ignition.ts";
import { defaultCloudConfig, shareCommands } from "../../lib/guest/user-data.ts";

const hostKey = { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", publicKey: "ssh-ed25519 AAAA host" };

describe("shares in the guest's provisioning", () => {
  test("cloud-config mounts each share at /mnt/<tag> on every boot (bootcmd), read-only ones read-only", () => {
    const doc = defaultCloudConfig({ user: "u", authorizedKeys: ["k"], hostKey, shares: [{ tag: "hostshare", readonly: false }, { tag: "docs", readonly: true }] });
    expect(doc.bootcmd).toEqual([
      ["mkdir", "-p", "/mnt/hostshare"],
      ["mount", "-t", "virtiofs", "hostshare", "/mnt/hostshare"],
      ["mkdir", "-p", "/mnt/docs"],
      ["mount", "-t", "virtiofs", "-o", "ro", "docs", "/mnt/docs"],
    ]);
    expect(defaultCloudConfig({ user: "u", authorizedKeys: ["k"], hostKey }).bootcmd).toBeUndefined();
    expect(shareCommands({ tag: "t", readonly: false })).toHaveLength(2);
  });

  test("Ignition gets an enabled mount unit per share, named by systemd's path escaping", () => {
    const config = JSON.parse(renderIgnition({ hostname: "h", user: "u", authorizedKeys: ["k"], hostKey, shares: [{ tag: "my-share", readonly: true }] }));
    expect(config.systemd.units).toEqual([
      { name: "mnt-my\\x2dshare.mount", enabled: true, contents: expect.stringContaining("What=my-share\nWhere=/mnt/my-share\nType=virtiofs\nOptions=ro\n") },
    ]);
  });
});
