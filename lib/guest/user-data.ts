import { renderYaml, type YamlValue } from "./render-yaml.ts";

export interface UserDataOptions {
  /** Login user created in the guest. */
  user: string;
  /** Public keys allowed to log in as that user: the instance's own key first. */
  authorizedKeys: string[];
  /** The guest's ssh host key, generated before boot so the host can check it strictly. */
  hostKey: { privateKey: string; publicKey: string };
  runcmd?: (string | string[])[];
}

/** Renders the default #cloud-config: one sudo user with our keys, our host key, no password. */
export function renderUserData(options: UserDataOptions): string {
  const doc: Record<string, YamlValue> = {
    users: [
      {
        name: options.user,
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: options.authorizedKeys,
      },
    ],
    ssh_keys: {
      ed25519_private: options.hostKey.privateKey,
      ed25519_public: options.hostKey.publicKey.trim(),
    },
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_pwauth: false,
    disable_root: true,
    growpart: { mode: "auto", devices: ["/"] },
    resize_rootfs: true,
  };
  if (options.runcmd?.length) doc.runcmd = options.runcmd;
  return `#cloud-config\n${renderYaml(doc)}`;
}

/** Renders NoCloud meta-data: a unique instance-id so cloud-init runs on every new instance. */
export function renderMetaData(instanceId: string, hostname: string): string {
  return renderYaml({ "instance-id": instanceId, "local-hostname": hostname });
}
