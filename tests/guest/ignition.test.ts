import { describe, expect, test } from "bun:test";
import { TestcloudError } from "../../lib/errors.ts";
import { IGNITION_VERSION, parseIgnition, renderIgnition, type IgnitionOptions } from "../../lib/guest/ignition.ts";

const OPTIONS: IgnitionOptions = {
  hostname: "coreos-1",
  user: "core",
  authorizedKeys: ["ssh-ed25519 AAAAOURS testcloud-coreos-1\n", "ssh-rsa AAAAEXTRA me@laptop"],
  hostKey: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", publicKey: "ssh-ed25519 AAAAHOST root@coreos-1" },
};

interface IgnitionFile {
  path: string;
  mode: number;
  overwrite: boolean;
  contents: { source: string };
}
interface Ignition {
  ignition: { version: string; config?: { merge: { source: string }[] } };
  passwd: { users: { name: string; sshAuthorizedKeys: string[]; groups: string[] }[] };
  storage: { files: IgnitionFile[] };
}

/** Decodes a data URL the way Ignition does (RFC 2397, base64 or percent-encoded). */
function decode(url: string): string {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) throw new Error(`not a data URL: ${url}`);
  return match[1]!.endsWith(";base64") ? Buffer.from(match[2]!, "base64").toString("utf8") : decodeURIComponent(match[2]!);
}

describe("renderIgnition", () => {
  const doc = JSON.parse(renderIgnition(OPTIONS)) as Ignition;
  const file = (path: string) => doc.storage.files.find((f) => f.path === path);

  test("declares spec 3.4.0", () => {
    expect(doc.ignition.version).toBe("3.4.0");
    expect(IGNITION_VERSION).toBe("3.4.0");
  });

  test("creates the user in wheel and sudo with every key, trimmed", () => {
    expect(doc.passwd.users).toEqual([
      { name: "core", sshAuthorizedKeys: ["ssh-ed25519 AAAAOURS testcloud-coreos-1", "ssh-rsa AAAAEXTRA me@laptop"], groups: ["wheel", "sudo"] },
    ]);
  });

  // [path, decoded contents, mode in decimal as Ignition wants it]
  const files: [string, string, number][] = [
    ["/etc/hostname", "coreos-1\n", 420],
    ["/etc/ssh/ssh_host_ed25519_key", OPTIONS.hostKey.privateKey, 384],
    ["/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAAHOST root@coreos-1\n", 420],
  ];

  test.each(files)("writes %s from a data URL with mode %i", (path, contents, mode) => {
    const entry = file(path);
    expect(entry).toMatchObject({ path, mode, overwrite: true });
    expect(decode(entry!.contents.source)).toBe(contents);
  });

  test("writes exactly those files and no merge without a user config", () => {
    expect(doc.storage.files.map((f) => f.path)).toEqual(files.map(([path]) => path));
    expect(doc.ignition.config).toBeUndefined();
  });

  test("sets a password only as a SHA-512 crypt hash, and only when given one", () => {
    const text = renderIgnition({ ...OPTIONS, password: "s3cret-Pass" });
    const user = (JSON.parse(text) as { passwd: { users: Record<string, unknown>[] } }).passwd.users[0]!;
    expect(user.passwordHash).toMatch(/^\$6\$rounds=100000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(text).not.toContain("s3cret-Pass");
    expect("passwordHash" in doc.passwd.users[0]!).toBe(false);
  });

  test("escapes whatever the values hold: the output stays valid JSON", () => {
    const odd = renderIgnition({ ...OPTIONS, hostname: 'a"b\\c\n', user: "u\u2028" });
    expect((JSON.parse(odd) as Ignition).passwd.users[0]!.name).toBe("u\u2028");
  });

  test("merges the user's own config through Ignition, theirs over ours", () => {
    const theirs = '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd"}]}}';
    const merged = JSON.parse(renderIgnition({ ...OPTIONS, userConfig: theirs })) as Ignition;
    expect(merged.ignition.config!.merge).toHaveLength(1);
    expect(decode(merged.ignition.config!.merge[0]!.source)).toBe(theirs);
    expect(merged.passwd.users[0]!.name).toBe("core");
  });
});

describe("parseIgnition", () => {
  test.each([
    ['{"ignition": {"version": "3.4.0"}}'],
    ['{"ignition": {"version": "3.0.0"}, "passwd": {}}'],
    ['{"ignition": {"version": "3.5.0-experimental"}}'],
  ])("accepts %s verbatim", (text) => {
    expect(parseIgnition(text, "/i.ign")).toBe(text);
  });

  const bad: [string, string, string][] = [
    ["not JSON", "{", "not JSON"],
    ["Butane YAML", "variant: fcos\nversion: 1.5.0\n", "not JSON"],
    ["spec 2", '{"ignition": {"version": "2.2.0"}}', 'got "2.2.0"'],
    ["no version", '{"passwd": {}}', "got null"],
    ["a number version", '{"ignition": {"version": 3}}', "got 3"],
    ["a JSON array", "[]", "got null"],
    ["JSON null", "null", "got null"],
  ];

  test.each(bad)("rejects %s as E_IGNITION_INVALID naming the file", (_label, text, detail) => {
    let error: TestcloudError | undefined;
    try {
      parseIgnition(text, "/i.ign");
    } catch (e) {
      error = e as TestcloudError;
    }
    expect(error?.code).toBe("E_IGNITION_INVALID");
    expect(error?.message).toStartWith('Invalid Ignition config: "/i.ign": ');
    expect(error?.message).toContain(detail);
  });

  test("points Butane users to butane", () => {
    let hint: string | undefined;
    try {
      parseIgnition("variant: fcos\nversion: 1.5.0\n", "/i.bu");
    } catch (e) {
      hint = (e as TestcloudError).hint;
    }
    expect(hint).toContain("butane");
  });
});
