import { describe, expect, test } from "bun:test";
import { mergeCloudConfig, USER_LOCKOUT_KEYS } from "../../lib/guest/merge-user-data.ts";
import { parseUserData } from "../../lib/guest/parse-user-data.ts";
import { defaultCloudConfig, renderCloudConfig, type CloudConfig } from "../../lib/guest/user-data.ts";

const HOST = { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", publicKey: "ssh-ed25519 AAAAHOST root@t" };
const OUR_KEY = "ssh-ed25519 AAAAOURS testcloud-t";
const OURS = defaultCloudConfig({ user: "cloud-user", authorizedKeys: [OUR_KEY], hostKey: HOST });
const OUR_USER = (OURS.users as CloudConfig[])[0]!;

/** The user's #cloud-config text, parsed as create would. */
function theirs(yaml: string): Record<string, unknown> {
  const parsed = parseUserData(`#cloud-config\n${yaml}`, "/u");
  if (parsed.kind !== "cloud-config") throw new Error("not cloud-config");
  return parsed.config;
}

describe("mergeCloudConfig rules", () => {
  // [rule, user's YAML, key to look at, expected merged value]
  const cases: [string, string, string, unknown][] = [
    ["the user's users come after ours", "users:\n  - default\n  - name: alice\n    groups: [wheel]\n", "users", [OUR_USER, "default", { name: "alice", groups: ["wheel"] }]],
    ["a comma-separated users string is a list", "users: default, bob\n", "users", [OUR_USER, "default", "bob"]],
    ["a users mapping is a list", "users:\n  carol: {shell: /bin/zsh}\n", "users", [OUR_USER, { name: "carol", shell: "/bin/zsh" }]],
    ["an empty users list keeps ours", "users: []\n", "users", [OUR_USER]],
    ["our user named again is folded into ours", "users:\n  - name: cloud-user\n    shell: /bin/zsh\n    ssh_authorized_keys: [ssh-rsa AAAATHEIRS me]\n", "users",
      [{ ...OUR_USER, shell: "/bin/zsh", ssh_authorized_keys: [OUR_KEY, "ssh-rsa AAAATHEIRS me"] }]],
    ["our user as a plain name adds nothing", "users: [cloud-user, dave]\n", "users", [OUR_USER, "dave"]],
    ["runcmd lists concatenate, ours first", "runcmd: [touch /marker]\n", "runcmd", ["touch /marker"]],
    ["packages arrive as given", "packages: [vim, [libc6, '2.31']]\n", "packages", ["vim", ["libc6", "2.31"]]],
    ["ssh_genkeytypes: ours plus theirs", "ssh_genkeytypes: [rsa]\n", "ssh_genkeytypes", ["ed25519", "rsa"]],
    ["mappings merge key by key", "growpart: {mode: 'off'}\n", "growpart", { mode: "off", devices: ["/"] }],
    ["nested lists in mappings concatenate", "growpart: {devices: [/data]}\n", "growpart", { mode: "auto", devices: ["/", "/data"] }],
    ["a user scalar wins", "ssh_pwauth: true\n", "ssh_pwauth", true],
    ["a YAML 1.1 boolean wins as a boolean", "disable_root: no\n", "disable_root", false],
    ["a new key is added", "hostname: other\n", "hostname", "other"],
    ["a user null keeps ours", "ssh_deletekeys: ~\n", "ssh_deletekeys", true],
    ["nulls inside lists are dropped", "runcmd: [a, ~, b]\n", "runcmd", ["a", "b"]],
    ["their other host keys are kept", "ssh_keys: {rsa_private: R, rsa_public: r}\n", "ssh_keys",
      { ed25519_private: HOST.privateKey, ed25519_public: HOST.publicKey, rsa_private: "R", rsa_public: "r" }],
    ["our host key is pinned", "ssh_keys: {ed25519_private: THEIRS, ed25519_public: theirs}\n", "ssh_keys",
      { ed25519_private: HOST.privateKey, ed25519_public: HOST.publicKey }],
    ["a type change from the user wins", "growpart: false\n", "growpart", false],
    ["write_files keep YAML 1.1 octal modes", "write_files:\n  - {path: /x, permissions: 0600, content: hi}\n", "write_files", [{ path: "/x", permissions: 384, content: "hi" }]],
  ];

  test.each(cases)("%s", (_rule, yaml, key, expected) => {
    expect(mergeCloudConfig(OURS, theirs(yaml)).config[key]).toEqual(expected as never);
  });

  test("keeps every key of ours the user did not touch", () => {
    const { config } = mergeCloudConfig(OURS, theirs("runcmd: [x]\n"));
    for (const [key, value] of Object.entries(OURS)) expect(config[key]).toEqual(value);
  });

  test("changes neither input", () => {
    const user = theirs("users: [{name: cloud-user, shell: /bin/zsh}]\nrumcmd: [x]\n");
    const before = [JSON.stringify(OURS), JSON.stringify(user)];
    mergeCloudConfig(OURS, user);
    expect([JSON.stringify(OURS), JSON.stringify(user)]).toEqual(before);
  });
});

describe("mergeCloudConfig warnings", () => {
  test.each(USER_LOCKOUT_KEYS)("drops %s from our user, with a warning", (key) => {
    const { config, warnings } = mergeCloudConfig(OURS, theirs(`users:\n  - name: cloud-user\n    ${key}: "1"\n`));
    expect((config.users as CloudConfig[])[0]).toEqual(OUR_USER);
    expect(warnings).toEqual([`Ignored "${key}" of user "cloud-user" from user-data: it would lock testcloud out`]);
  });

  test("allows those keys on the user's other users", () => {
    const { config, warnings } = mergeCloudConfig(OURS, theirs("users:\n  - {name: svc, system: true, no_create_home: true}\n"));
    expect((config.users as CloudConfig[])[1]).toEqual({ name: "svc", system: true, no_create_home: true });
    expect(warnings).toEqual([]);
  });

  test("warns when the user's host key is dropped, not when it is the same", () => {
    expect(mergeCloudConfig(OURS, theirs("ssh_keys: {ed25519_public: other}\n")).warnings).toEqual([
      'Ignored "ssh_keys.ed25519_public" from user-data: testcloud pins the instance\'s host key',
    ]);
    expect(mergeCloudConfig(OURS, theirs(`ssh_keys: {ed25519_public: "${HOST.publicKey}"}\n`)).warnings).toEqual([]);
  });
});

describe("merged output", () => {
  const user = theirs(
    [
      "users:",
      "  - default",
      "  - name: alice",
      "    sudo: ALL=(ALL) ALL",
      "    ssh_authorized_keys: [ssh-ed25519 AAAAALICE alice]",
      "runcmd:",
      "  - [sh, -c, 'echo \"$HOME\" > /root/marker']",
      "  - \"echo 'a: b # not a comment'\"",
      "write_files:",
      "  - path: /etc/motd",
      "    permissions: '0644'",
      "    content: |",
      "      line one",
      "        indented: yes",
      "package_update: yes",
      "bootcmd: [echo yes]",
      "",
    ].join("\n"),
  );
  const { config } = mergeCloudConfig(OURS, user);
  const text = renderCloudConfig(config);

  test("round-trips through the renderer and a YAML parser unchanged", () => {
    expect(Bun.YAML.parse(text)).toEqual(config);
  });

  test("is a #cloud-config with our access and all of the user's additions", () => {
    const doc = Bun.YAML.parse(text) as CloudConfig;
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect((doc.users as CloudConfig[])[0]).toMatchObject({ name: "cloud-user", ssh_authorized_keys: [OUR_KEY] });
    expect((doc.users as unknown[]).slice(1)).toEqual(["default", { name: "alice", sudo: "ALL=(ALL) ALL", ssh_authorized_keys: ["ssh-ed25519 AAAAALICE alice"] }]);
    expect(doc.ssh_keys).toEqual({ ed25519_private: HOST.privateKey, ed25519_public: HOST.publicKey });
    expect(doc.runcmd).toEqual([["sh", "-c", 'echo "$HOME" > /root/marker'], "echo 'a: b # not a comment'"]);
    expect(doc.write_files).toEqual([{ path: "/etc/motd", permissions: "0644", content: "line one\n  indented: yes\n" }]);
    expect([doc.package_update, doc.bootcmd]).toEqual([true, ["echo yes"]]);
  });

  test("has only types cloud-init's schema expects for our keys", () => {
    const doc = Bun.YAML.parse(text) as CloudConfig;
    expect(typeof doc.ssh_pwauth).toBe("boolean");
    expect(typeof doc.ssh_deletekeys).toBe("boolean");
    expect(Array.isArray(doc.ssh_genkeytypes)).toBe(true);
    expect(typeof (doc.users as CloudConfig[])[0]!.lock_passwd).toBe("boolean");
  });
});
