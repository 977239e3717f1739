import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";

/** An ed25519 key pair in OpenSSH's formats. */
export interface KeyPair {
  /** "-----BEGIN OPENSSH PRIVATE KEY-----" file text, unencrypted. */
  privateKey: string;
  /** One authorized_keys line: "ssh-ed25519 BASE64 comment". */
  publicKey: string;
  /**
   * The same key as dropbear's host key file: string "ssh-ed25519", then string (32-byte
   * seed ‖ 32-byte public key). A fork's hook writes it as it is, instead of running
   * dropbearconvert in an emulated guest.
   */
  dropbearKey: Uint8Array;
}

/**
 * A fresh ed25519 key pair, made in-process: ssh-keygen would cost two process spawns
 * per instance on the path to a booted VM, for the same bytes. Layout: OpenSSH's
 * PROTOCOL.key ("openssh-key-v1", cipher and KDF "none").
 */
export function generateKeyPair(comment: string): KeyPair {
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const pub = Buffer.from(jwk.x!, "base64url");
  const blob = concat(sshString("ssh-ed25519"), sshString(pub));
  const check = crypto.getRandomValues(new Uint8Array(4));
  let secret = concat(check, check, sshString("ssh-ed25519"), sshString(pub), sshString(concat(seed, pub)), sshString(comment));
  // Pad to the "none" cipher's block size of 8 with the bytes 1, 2, 3, ...
  const pad = (8 - (secret.length % 8)) % 8;
  secret = concat(secret, Uint8Array.from({ length: pad }, (_, i) => i + 1));
  const body = concat(
    new TextEncoder().encode("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(blob),
    sshString(secret),
  );
  const lines = Buffer.from(body).toString("base64").match(/.{1,70}/g)!;
  return {
    privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    publicKey: `ssh-ed25519 ${Buffer.from(blob).toString("base64")} ${comment}`,
    dropbearKey: concat(sshString("ssh-ed25519"), sshString(concat(seed, pub))),
  };
}

/** Writes `pair` to `path` (owner-only) and `path.pub`; refuses to overwrite a key. */
export async function writeKeyPair(path: string, pair: KeyPair): Promise<void> {
  await writeFile(path, pair.privateKey, { mode: 0o600, flag: "wx" });
  await writeFile(`${path}.pub`, `${pair.publicKey}\n`, { mode: 0o644, flag: "wx" });
}

function sshString(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return concat(uint32(bytes.length), bytes);
}

function uint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
