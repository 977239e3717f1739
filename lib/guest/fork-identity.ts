import type { KeyPair } from "../host/generate-key-pair.ts";

/**
 * The size of every identity file: the guest's fw_cfg driver reads each file's size once,
 * when it loads, so a restored fork's file must be exactly as long as its template's.
 */
export const FORK_IDENTITY_BYTES = 4096;

/** What makes a fork another machine than its template; the hook (fork-hook.sh) applies it. */
export interface ForkIdentity {
  /** Random, 32 hex digits: the hook applies an identity once. */
  id: string;
  hostname: string;
  instanceId: string;
  /** The NIC the hook configures: the one with this MAC. */
  mac: string;
  /** systemd's /etc/machine-id (32 hex digits), where the guest has one. */
  machineId: string;
  /** Random bytes (hex) the hook mixes into the guest's entropy pool. */
  seed: string;
  /** The template's instance key, replaced by `userKey` wherever it is authorized. */
  oldUserKey: string;
  userKey: string;
  /** The template's host public key, replaced by the fork's wherever the guest pinned it. */
  oldHostKey: string;
  hostKey: KeyPair;
  /** The address the hook gives the NIC itself instead of asking DHCP (user-mode networking). */
  staticAddress?: StaticAddress;
}

/** An IPv4 address with its prefix length ("10.0.2.15/24"), its gateway and resolver. */
export interface StaticAddress {
  address: string;
  gateway: string;
  dns: string;
}

/**
 * The identity file: `key=value` lines, then "end", padded with newlines to
 * FORK_IDENTITY_BYTES. The template boots with the placeholder "id=template", which the hook
 * leaves alone. Every value is one line of printable ASCII; the host private key is base64,
 * and as dropbear's binary file a printf format that writes exactly its bytes.
 */
export function renderForkIdentity(identity: ForkIdentity | "template"): Uint8Array {
  const fields: [string, string][] =
    identity === "template"
      ? [["id", "template"]]
      : [
          ["id", identity.id],
          ["hostname", identity.hostname],
          ["instance_id", identity.instanceId],
          ["mac", identity.mac],
          ["machine_id", identity.machineId],
          ["seed", identity.seed],
          ["old_user_key", identity.oldUserKey.trim()],
          ["user_key", identity.userKey.trim()],
          ["old_host_key", identity.oldHostKey.trim()],
          ["host_key_pub", identity.hostKey.publicKey.trim()],
          ["host_key", Buffer.from(identity.hostKey.privateKey).toString("base64")],
          // The same key as dropbear's file, for the shell's printf builtin: no process to convert it.
          ["host_key_dropbear", printfEscaped(identity.hostKey.dropbearKey)],
          ...(identity.staticAddress
            ? ([
                ["address", identity.staticAddress.address],
                ["gateway", identity.staticAddress.gateway],
                ["dns", identity.staticAddress.dns],
              ] as [string, string][])
            : []),
        ];
  for (const [key, value] of fields) {
    if (!/^[\x20-\x7e]+$/.test(value)) throw new Error(`renderForkIdentity: ${key} must be one line of printable ASCII`);
  }
  const text = `testcloud-fork 1\n${fields.map(([k, v]) => `${k}=${v}\n`).join("")}end\n`;
  if (text.length > FORK_IDENTITY_BYTES) throw new Error(`renderForkIdentity: ${text.length} bytes, more than ${FORK_IDENTITY_BYTES}`);
  return Buffer.from(text.padEnd(FORK_IDENTITY_BYTES, "\n"), "latin1");
}

/** A printf format that prints `bytes`: printable ASCII as itself, anything else (and "\\", "%") as \\ooo. */
export function printfEscaped(bytes: Uint8Array): string {
  let format = "";
  for (const byte of bytes) {
    const plain = byte >= 0x20 && byte <= 0x7e && byte !== 0x5c && byte !== 0x25;
    format += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return format;
}

/** A fresh random identity part: `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}
