import { describe, expect, test } from "bun:test";
import { defaultCloudConfig, renderCloudConfig, renderMetaData, renderUserData, type UserDataOptions } from "../../lib/guest/user-data.ts";

const HOST_PRIVATE =
  "-----BEGIN OPENSSH PRIVATE KEY-----\n" +
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n" +
  "QyNTUxOQAAACBBxbqr8E0rZ0Mk8H3kPVHw5ijsGqZZ9X4MtdVxkqs4WAAAAJgAAAAAAAAA\n" +
  "-----END OPENSSH PRIVATE KEY-----\n";
const HOST_PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHFuqvwTStnQyTwfeQ9UfDmKOwapln1fgy11XGSqzhY host@tiny\n";
const USER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvQ6cQ4c0bQeB3c9U0Jd8sP7p6yQm3v0Lr2sN2k1YbZ testcloud@tiny";
const EXTRA_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 someone@laptop # with: odd \"chars\"";

const options: UserDataOptions = {
  user: "cloud-user",
  authorizedKeys: [USER_KEY, EXTRA_KEY],
  hostKey: { privateKey: HOST_PRIVATE, publicKey: HOST_PUBLIC },
};

type CloudConfig = {
  users: { name: string; sudo: string; lock_passwd: boolean; ssh_authorized_keys: string[] }[];
  ssh_keys: { ed25519_private: string; ed25519_public: string };
  ssh_pwauth: boolean;
  ssh_deletekeys: boolean;
  ssh_genkeytypes: string[];
  runcmd?: unknown;
  chpasswd?: unknown;
};

function parse(text: string): CloudConfig & Record<string, unknown> {
  return Bun.YAML.parse(text) as CloudConfig & Record<string, unknown>;
}

describe("renderUserData", () => {
  const text = renderUserData(options);
  const doc = parse(text);

  test("starts with the #cloud-config line cloud-init requires", () => {
    expect(text.split("\n")[0]).toBe("#cloud-config");
  });

  test("creates one passwordless sudo user with every authorized key", () => {
    expect(doc.users).toHaveLength(1);
    expect(doc.users[0]).toMatchObject({
      name: "cloud-user",
      sudo: "ALL=(ALL) NOPASSWD:ALL",
      lock_passwd: true,
      ssh_authorized_keys: [USER_KEY, EXTRA_KEY],
    });
  });

  test("installs the pre-generated host key exactly and no other", () => {
    expect(doc.ssh_keys.ed25519_private).toBe(HOST_PRIVATE);
    expect(doc.ssh_keys.ed25519_public).toBe(HOST_PUBLIC.trim());
    expect(doc.ssh_deletekeys).toBe(true);
    // Only the type whose key ssh_keys installs: cloud-init generates no other.
    expect(doc.ssh_genkeytypes).toEqual(["ed25519"]);
  });

  test("sets no password anywhere and disables password login", () => {
    const forbidden = ["password", "passwd", "chpasswd", "plain_text_passwd", "hashed_passwd"];
    const keys = (value: unknown): string[] =>
      value && typeof value === "object"
        ? Object.entries(value).flatMap(([k, v]) => [Array.isArray(value) ? "" : k, ...keys(v)])
        : [];
    for (const key of forbidden) expect(keys(doc)).not.toContain(key);
    expect(doc.ssh_pwauth).toBe(false);
  });

  test("omits runcmd unless commands are given", () => {
    expect("runcmd" in doc).toBe(false);
    expect("runcmd" in parse(renderUserData({ ...options, runcmd: [] }))).toBe(false);
  });

  test("carries runcmd entries as strings and argv lists", () => {
    const runcmd = ["echo 'hello: world' > /tmp/x", ["sh", "-c", "echo \"$HOME\" # not a comment"]];
    expect(parse(renderUserData({ ...options, runcmd })).runcmd).toEqual(runcmd);
  });

  test("keeps a user name that YAML would read as another type a string", () => {
    for (const user of ["yes", "123", "null"]) {
      expect(parse(renderUserData({ ...options, user })).users[0]!.name).toBe(user);
    }
  });
});

describe("renderMetaData", () => {
  const cases: [string, string][] = [
    ["iid-0f8e2b1c", "tiny"],
    ["123", "yes"],
    ["id: with # odd chars", "host-1"],
  ];

  test.each(cases)("round-trips instance-id %p and hostname %p", (instanceId, hostname) => {
    expect(Bun.YAML.parse(renderMetaData(instanceId, hostname))).toEqual({
      "instance-id": instanceId,
      "local-hostname": hostname,
    });
  });
});

describe("renderUserData with a password", () => {
  const HASH = "$6$rounds=100000$0123456789abcdef$kH3QPrqBOU84fpS1Pa0mzxm7nXI4koSkLPoHWC3iQqOu2tQuasfVziCW5ezdvsfiAYy/5s49kNYeRRHxwIcjD0";
  const doc = parse(renderUserData({ ...options, passwordHash: HASH }));

  test("unlocks the user with the hash, never the password itself", () => {
    expect(doc.users[0]).toMatchObject({ lock_passwd: false, passwd: HASH });
    expect(JSON.stringify(doc)).not.toContain("plain_text_passwd");
  });

  test("does not expire the password at first login", () => {
    expect(doc.chpasswd).toEqual({ expire: false });
  });

  test("keeps ssh password login off unless asked for", () => {
    expect(doc.ssh_pwauth).toBe(false);
    expect(parse(renderUserData({ ...options, passwordHash: HASH, sshPasswordAuth: true })).ssh_pwauth).toBe(true);
  });

  test("never enables ssh password login without a password", () => {
    const noPassword = parse(renderUserData({ ...options, sshPasswordAuth: true }));
    expect([noPassword.ssh_pwauth, noPassword.users[0]!.lock_passwd, "chpasswd" in noPassword]).toEqual([false, true, false]);
  });
});

describe("defaultCloudConfig and renderCloudConfig", () => {
  test("renderUserData is the rendered default config", () => {
    expect(renderCloudConfig(defaultCloudConfig(options))).toBe(renderUserData(options));
    expect(parse(renderUserData(options))).toEqual(defaultCloudConfig(options) as never);
  });

  test("grows the root partition and filesystem", () => {
    expect(defaultCloudConfig(options)).toMatchObject({ growpart: { mode: "auto", devices: ["/"] }, resize_rootfs: true });
  });
});

describe("renderMetaData with extra keys", () => {
  test("adds the extra keys after ours", () => {
    const text = renderMetaData("iid-1", "tiny", { region: "lab", "public-keys": "ssh-ed25519 AAAA" });
    expect(Bun.YAML.parse(text)).toEqual({ "instance-id": "iid-1", "local-hostname": "tiny", region: "lab", "public-keys": "ssh-ed25519 AAAA" });
    expect(text.split("\n")[0]).toBe('instance-id: "iid-1"');
  });

  test("never lets an extra key replace the instance-id or the hostname", () => {
    const doc = Bun.YAML.parse(renderMetaData("iid-1", "tiny", { "instance-id": "x", "local-hostname": "y" }));
    expect(doc).toEqual({ "instance-id": "iid-1", "local-hostname": "tiny" });
  });
});
