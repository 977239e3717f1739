import { renderYaml, type YamlValue } from "./render-yaml.ts";

export interface UserDataOptions {
  /** Login user created in the guest. */
  user: string;
  /** Public keys allowed to log in as that user: the instance's own key first. */
  authorizedKeys: string[];
  /** The guest's ssh host key, generated before boot so the host can check it strictly. */
  hostKey: { privateKey: string; publicKey: string };
  runcmd?: (string | string[])[];
  /**
   * A crypt(3) hash ("$6$…") for console login. Hashed, not `plain_text_passwd`,
   * so the seed and the guest's cloud-init cache never hold the password itself.
   */
  passwordHash?: string;
  /** Also allow ssh password login; only meaningful with a password. */
  sshPasswordAuth?: boolean;
  /** virtiofs shares to mount at /mnt/<tag> on every boot. */
  shares?: ShareMount[];
}

/** A virtiofs share as the guest mounts it. Tags are letters, digits, "-" and "_" (checked at create). */
export interface ShareMount {
  tag: string;
  readonly: boolean;
}

/** A #cloud-config document as data, before rendering. */
export type CloudConfig = { [key: string]: YamlValue };

/**
 * The default #cloud-config as data: one sudo user with our keys, our host key,
 * the root filesystem grown to the disk, no password unless one is given.
 */
export function defaultCloudConfig(options: UserDataOptions): CloudConfig {
  const user: CloudConfig = {
    name: options.user,
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    shell: "/bin/bash",
    lock_passwd: options.passwordHash === undefined,
    ssh_authorized_keys: options.authorizedKeys,
  };
  if (options.passwordHash !== undefined) user.passwd = options.passwordHash;
  const doc: CloudConfig = {
    users: [user],
    ssh_keys: {
      ed25519_private: options.hostKey.privateKey,
      ed25519_public: options.hostKey.publicKey.trim(),
    },
    ssh_deletekeys: true,
    // Nothing is generated: the one type listed is installed from ssh_keys above. An empty
    // list would mean the same but draws a cloud-init schema warning (minItems: 1).
    ssh_genkeytypes: ["ed25519"],
    ssh_pwauth: options.passwordHash !== undefined && options.sshPasswordAuth === true,
    disable_root: true,
    growpart: { mode: "auto", devices: ["/"] },
    resize_rootfs: true,
  };
  // A given password is meant to work at first login, not to be changed there.
  if (options.passwordHash !== undefined) doc.chpasswd = { expire: false };
  if (options.runcmd?.length) doc.runcmd = options.runcmd;
  // bootcmd runs on every boot, early: the shares are there after a reboot too.
  if (options.shares?.length) doc.bootcmd = options.shares.flatMap(shareCommands);
  return doc;
}

/** The commands that mount a share; read-only ones read-only in the guest too (the host enforces it anyway). */
export function shareCommands(share: ShareMount): string[][] {
  const mountpoint = `/mnt/${share.tag}`;
  return [
    ["mkdir", "-p", mountpoint],
    ["mount", "-t", "virtiofs", ...(share.readonly ? ["-o", "ro"] : []), share.tag, mountpoint],
  ];
}

/** Renders a #cloud-config document: the header line cloud-init requires, then YAML. */
export function renderCloudConfig(doc: CloudConfig): string {
  return `#cloud-config\n${renderYaml(doc)}`;
}

/** Renders the default #cloud-config: one sudo user with our keys, our host key, no password. */
export function renderUserData(options: UserDataOptions): string {
  return renderCloudConfig(defaultCloudConfig(options));
}

/**
 * Renders NoCloud meta-data: a unique instance-id so cloud-init runs on every new
 * instance, the hostname, then `extra` keys (which never replace those two).
 */
export function renderMetaData(instanceId: string, hostname: string, extra: Record<string, string> = {}): string {
  const doc: CloudConfig = { "instance-id": instanceId, "local-hostname": hostname };
  for (const [key, value] of Object.entries(extra)) if (!Object.hasOwn(doc, key)) doc[key] = value;
  return renderYaml(doc);
}
