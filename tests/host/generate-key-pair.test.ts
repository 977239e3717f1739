import { describe, expect, test } from "bun:test";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyPair, writeKeyPair } from "../../lib/host/generate-key-pair.ts";
import { run } from "../../lib/host/run.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";

describe("generateKeyPair", () => {
  const tempDir = useTempDirs();

  test("makes an ed25519 pair that ssh-keygen reads back", async () => {
    requireTool("ssh-keygen", "openssh-client");
    const path = join(await tempDir(), "id_ed25519");
    const pair = generateKeyPair("testcloud@tiny");
    expect(pair.privateKey).toStartWith("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    expect(pair.privateKey).toEndWith("-----END OPENSSH PRIVATE KEY-----\n");
    expect(pair.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=* testcloud@tiny$/);
    await writeKeyPair(path, pair);
    expect(await Bun.file(`${path}.pub`).text()).toBe(`${pair.publicKey}\n`);
    expect((await stat(path)).mode & 0o077).toBe(0);
    // ssh-keygen derives the public key from our private key file: same key, same comment.
    const derived = await run(["ssh-keygen", "-y", "-f", path]);
    expect(derived.stdout.trim()).toBe(pair.publicKey);
  });

  test("signs and verifies with ssh-keygen, so the private half is really the public one's", async () => {
    requireTool("ssh-keygen", "openssh-client");
    const dir = await tempDir();
    const pair = generateKeyPair("signer");
    await writeKeyPair(join(dir, "k"), pair);
    await Bun.write(join(dir, "msg"), "hello");
    await run(["ssh-keygen", "-Y", "sign", "-f", join(dir, "k"), "-n", "file", join(dir, "msg")]);
    await Bun.write(join(dir, "allowed"), `signer ${pair.publicKey}\n`);
    const verified = await run(
      ["ssh-keygen", "-Y", "verify", "-f", join(dir, "allowed"), "-I", "signer", "-n", "file", "-s", join(dir, "msg.sig")],
      { stdin: "hello" },
    );
    expect(verified.stdout).toContain("Good");
  });

  test("makes a different key every time", () => {
    expect(generateKeyPair("a").publicKey).not.toBe(generateKeyPair("a").publicKey);
  });

  test("refuses to overwrite an existing key", async () => {
    const path = join(await tempDir(), "id_ed25519");
    const first = generateKeyPair("one");
    await writeKeyPair(path, first);
    await expect(writeKeyPair(path, generateKeyPair("two"))).rejects.toThrow(/EEXIST|exists/);
    expect(await Bun.file(path).text()).toBe(first.privateKey);
  });

  test("gives the same key as a host key file dropbear reads", async () => {
    requireTool("dropbearkey", "dropbear-bin");
    const pair = generateKeyPair("root@web1");
    const file = join(await tempDir(), "dropbear_ed25519_host_key");
    await writeFile(file, pair.dropbearKey);
    const shown = await run(["dropbearkey", "-y", "-f", file]);
    const line = shown.stdout.split("\n").find((l) => l.startsWith("ssh-ed25519 "));
    expect(line?.split(" ").slice(0, 2)).toEqual(pair.publicKey.split(" ").slice(0, 2));
  });
});
