import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dropbearHostKey } from "../../lib/guest/dropbear-key.ts";
import { generateKeyPair } from "../../lib/host/generate-key-pair.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

describe("dropbearHostKey", () => {
  test("is a key file dropbear reads, with the pair's public key", async () => {
    const pair = generateKeyPair("root@web1");
    const file = join(await tempDir(), "dropbear_ed25519_host_key");
    writeFileSync(file, dropbearHostKey(pair));
    const shown = Bun.spawnSync(["dropbearkey", "-y", "-f", file]);
    expect(shown.exitCode).toBe(0);
    const line = shown.stdout.toString().split("\n").find((l) => l.startsWith("ssh-ed25519 "))!;
    expect(line.split(" ").slice(0, 2)).toEqual(pair.publicKey.split(" ").slice(0, 2));
  });

  test("refuses what is not an unencrypted openssh-key-v1 ed25519 key", () => {
    const pair = generateKeyPair("x");
    expect(() => dropbearHostKey({ ...pair, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n" })).toThrow(/openssh-key-v1/);
    const body = Buffer.from(pair.privateKey.split("\n").slice(1, -2).join(""), "base64");
    const truncated = body.subarray(0, body.length - 40).toString("base64");
    expect(() => dropbearHostKey({ ...pair, privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${truncated}\n-----END OPENSSH PRIVATE KEY-----\n` })).toThrow(/truncated/);
  });
});
