import { proxyCommand, type SshTarget } from "../host/ssh.ts";

/** Renders a `Host` block for ~/.ssh/config (or an `Include`d file) that reaches the instance. */
export function renderSshConfig(alias: string, target: SshTarget): string {
  const quote = (v: string) => (/[\s"]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v);
  return [
    `Host ${alias}`,
    `  HostName ${target.host}`,
    `  Port ${target.port}`,
    `  User ${quote(target.user)}`,
    `  IdentityFile ${quote(target.keyPath)}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${quote(target.knownHostsPath)}`,
    "  StrictHostKeyChecking yes",
    `  HostKeyAlias ${target.hostKeyAlias}`,
    // ssh_config takes the rest of the line as the command, quotes and all.
    ...(target.jump ? [`  ProxyCommand ${proxyCommand(target.jump)}`] : []),
    "",
  ].join("\n");
}
