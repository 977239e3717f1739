import { describe, expect, test } from "bun:test";
import { renderMetaData, renderUserData, type UserDataOptions } from "../../lib/guest/user-data.ts";

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
    expect(doc.ssh_genkeytypes).toEqual([]);
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
