import { describe, expect, test } from "bun:test";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TestcloudError } from "../../lib/errors.ts";
import { parsePublicKeys, readSshKeys } from "../../lib/guest/read-ssh-keys.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHFuqvwTStnQyTwfeQ9UfDmKOwapln1fgy11XGSqzhY me@laptop";
const RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 me@desktop";
const ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= ops";
const SK = "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t yubikey";
const CERT = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t me";

async function home(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, ".ssh"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, ".ssh", name), text);
  return dir;
}

describe("parsePublicKeys", () => {
  const cases: [string, string, string[]][] = [
    ["one key", `${ED}\n`, [ED]],
    ["every supported type", [ED, RSA, ECDSA, SK].join("\n"), [ED, RSA, ECDSA, SK]],
    ["a key without a comment", "ssh-ed25519 AAAAC3Nz", ["ssh-ed25519 AAAAC3Nz"]],
    ["comments and blank lines", `# mine\n\n${ED}\n  \n`, [ED]],
    ["a certificate, which authorized_keys cannot take as is", CERT, []],
    ["a private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n", []],
    ["an authorized_keys line with options", `command="x" ${ED}`, []],
  ];
  test.each(cases)("reads %s", (_label, text, keys) => {
    expect(parsePublicKeys(text)).toEqual(keys);
  });
});

describe("readSshKeys", () => {
  test("adds every ~/.ssh/*.pub key in file name order, and nothing else from ~/.ssh", async () => {
    const dir = await home({ "id_rsa.pub": RSA, "id_ed25519.pub": `${ED}\n`, id_ed25519: "private", known_hosts: ECDSA, "id_ed25519-cert.pub": CERT });
    expect(await readSshKeys([], dir)).toEqual([ED, RSA]);
  });

  test("puts --ssh-key files first and drops a key seen twice", async () => {
    const dir = await home({ "id_ed25519.pub": ED });
    const extra = join(dir, "extra.pub");
    await writeFile(extra, `${SK}\n${ED.replace("me@laptop", "other comment")}\n`);
    expect(await readSshKeys([extra], dir)).toEqual([SK, ED.replace("me@laptop", "other comment")]);
  });

  test("adds no home keys when home is null, and none when ~/.ssh is missing", async () => {
    const dir = await home({ "id_ed25519.pub": ED });
    expect(await readSshKeys([], null)).toEqual([]);
    expect(await readSshKeys([], await tempDir())).toEqual([]);
    expect(await readSshKeys([], dir)).toEqual([ED]);
  });

  test("skips a ~/.ssh/*.pub it cannot read: the user did not name it", async () => {
    // A directory and a dangling link stay unreadable even for root.
    const dir = await home({ "b.pub": ED });
    await mkdir(join(dir, ".ssh", "a.pub"));
    await symlink(join(dir, "gone"), join(dir, ".ssh", "c.pub"));
    expect(await readSshKeys([], dir)).toEqual([ED]);
  });

  const errors: [string, (dir: string) => Promise<string>, string, string][] = [
    ["a missing file", async (dir) => join(dir, "nope.pub"), "E_SSH_KEY_NOT_FOUND", "SSH key file not found"],
    ["a private key", async (dir) => write(dir, "id", "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n"), "E_SSH_KEY_INVALID", "it is a private key"],
    ["a file without a key", async (dir) => write(dir, "notes.txt", "hello\n"), "E_SSH_KEY_INVALID", "no OpenSSH public key in it"],
    ["a directory", async (dir) => dir, "E_SSH_KEY_NOT_FOUND", "Not a file"],
  ];

  test.each(errors)("rejects %s given with --ssh-key", async (_label, make, code, message) => {
    const dir = await tempDir();
    const path = await make(dir);
    const error = await readSshKeys([path], null).then(() => null, (e: unknown) => e as TestcloudError);
    expect(error).toBeInstanceOf(TestcloudError);
    expect(error!.code).toBe(code);
    expect(error!.message).toContain(message);
    expect(error!.message).toContain(path);
  });

  test("hints at the .pub file when given a private key", async () => {
    const path = await write(await tempDir(), "id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    const error = (await readSshKeys([path], null).catch((e: unknown) => e)) as TestcloudError;
    expect(error.hint).toBe(`pass the public key: ${path}.pub`);
  });
});

async function write(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}
