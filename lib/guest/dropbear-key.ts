import type { KeyPair } from "../host/generate-key-pair.ts";

/**
 * An ed25519 key pair of ours (OpenSSH's "openssh-key-v1" text, unencrypted) as dropbear's
 * host key file: string "ssh-ed25519", then string (32-byte seed ‖ 32-byte public key), each
 * string a big-endian uint32 length and its bytes. Made on the host, so a fork's hook writes
 * the file at once instead of running dropbearconvert in an emulated guest.
 */
export function dropbearHostKey(pair: KeyPair): Uint8Array {
  const body = Buffer.from(pair.privateKey.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (body.subarray(0, magic.length).toString("latin1") !== magic) throw new Error("dropbearHostKey: not an openssh-key-v1 key");
  const outer = strings(body, magic.length);
  if (outer.next().toString() !== "none") throw new Error("dropbearHostKey: an encrypted key");
  outer.next(); // KDF
  outer.next(); // KDF options
  outer.skip(4); // the number of keys: 1
  outer.next(); // the public key blob
  // The private section: two check words, the key type, the public key, seed ‖ public key.
  const secret = strings(outer.next(), 8);
  const type = secret.next().toString();
  secret.next();
  const seedAndPublic = secret.next();
  if (type !== "ssh-ed25519" || seedAndPublic.length !== 64) throw new Error("dropbearHostKey: not an ed25519 key");
  return Buffer.concat([sshString(Buffer.from(type)), sshString(seedAndPublic)]);
}

/** Reads SSH strings (uint32 length, bytes) from `buffer`, starting at `at`. */
function strings(buffer: Buffer, at: number) {
  return {
    next(): Buffer {
      if (at + 4 > buffer.length) throw new Error("dropbearHostKey: truncated key");
      const length = buffer.readUInt32BE(at);
      const value = buffer.subarray(at + 4, at + 4 + length);
      if (value.length !== length) throw new Error("dropbearHostKey: truncated key");
      at += 4 + length;
      return value;
    },
    skip(bytes: number): void {
      at += bytes;
    },
  };
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
