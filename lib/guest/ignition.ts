/**
 * Ignition configs for CoreOS images, delivered through QEMU fw_cfg
 * (`opt/com.coreos/config`) instead of a NoCloud seed. Spec:
 * https://coreos.github.io/ignition/configuration-v3_4/
 */
import { INPUTS, invalidInput } from "./_read-input.ts";
import { hashPassword } from "./_sha512-crypt.ts";

/** The spec version of the configs we render. */
export const IGNITION_VERSION = "3.4.0";

/** What the Ignition config of one instance is made from. */
export interface IgnitionOptions {
  /** Written to /etc/hostname: the instance name. */
  hostname: string;
  user: string;
  /** The instance's own key first. */
  authorizedKeys: string[];
  /** The pre-generated host key, so the host can check the guest strictly. */
  hostKey: { privateKey: string; publicKey: string };
  /** Console password; reaches the guest only as a SHA-512 crypt hash. None by default. */
  password?: string;
  /**
   * The user's own config (`--ignition FILE`, checked by parseIgnition). It is
   * merged by Ignition itself (`ignition.config.merge`, child over parent), so
   * their settings win and our user, key and host key still arrive.
   */
  userConfig?: string;
  /** virtiofs shares, mounted at /mnt/<tag> by a systemd mount unit each. */
  shares?: { tag: string; readonly: boolean }[];
}

/** Renders the Ignition v3.4.0 JSON: our user with its keys, the hostname, the ssh host key. */
export function renderIgnition(options: IgnitionOptions): string {
  const config = {
    ignition: {
      version: IGNITION_VERSION,
      ...(options.userConfig !== undefined && { config: { merge: [{ source: dataUrl(options.userConfig) }] } }),
    },
    passwd: {
      users: [
        {
          name: options.user,
          sshAuthorizedKeys: options.authorizedKeys.map((k) => k.trim()),
          groups: ["wheel", "sudo"],
          ...(options.password !== undefined && { passwordHash: hashPassword(options.password) }),
        },
      ],
    },
    storage: {
      files: [
        file("/etc/hostname", `${options.hostname}\n`, 0o644),
        file("/etc/ssh/ssh_host_ed25519_key", options.hostKey.privateKey, 0o600),
        file("/etc/ssh/ssh_host_ed25519_key.pub", `${options.hostKey.publicKey.trim()}\n`, 0o644),
      ],
    },
    ...(options.shares?.length && { systemd: { units: options.shares.map(mountUnit) } }),
  };
  return JSON.stringify(config, null, 2) + "\n";
}

/** Checks a user's Ignition config: JSON with `ignition.version` 3.x (what Ignition 2.x reads). */
export function parseIgnition(text: string, path: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw invalidInput(path, INPUTS.ignition, `not JSON: ${(error as Error).message}`, isButane(text) ? "this looks like Butane YAML: convert it with butane first" : undefined);
  }
  const version = (doc as { ignition?: { version?: unknown } } | null)?.ignition?.version;
  if (typeof version !== "string" || !/^3\.\d+\.\d+(-experimental)?$/.test(version)) {
    throw invalidInput(path, INPUTS.ignition, `expected "ignition": {"version": "3.x.y"}, got ${JSON.stringify(version ?? null)}`);
  }
  return text;
}

/** A mount unit for /mnt/<tag>: its name is the path, escaped as systemd does ("-" within a name is \x2d). */
function mountUnit(share: { tag: string; readonly: boolean }) {
  const name = `mnt-${share.tag.replaceAll("-", "\\x2d")}.mount`;
  const options = share.readonly ? "ro" : "rw";
  const contents = `[Unit]\nDescription=testcloud share ${share.tag}\n\n[Mount]\nWhat=${share.tag}\nWhere=/mnt/${share.tag}\nType=virtiofs\nOptions=${options}\n\n[Install]\nWantedBy=multi-user.target\n`;
  return { name, enabled: true, contents };
}

// Modes are decimal in Ignition JSON: 420 is 0644, 384 is 0600.
function file(path: string, contents: string, mode: number) {
  return { path, mode, overwrite: true, contents: { source: dataUrl(contents) } };
}

/** RFC 2397 data URL in the form Butane emits; base64 keeps any byte safe. */
function dataUrl(text: string): string {
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(text, "utf8").toString("base64")}`;
}

function isButane(text: string): boolean {
  return /^variant:\s*\S+/m.test(text);
}
