/** The libvirt host's own sshd, through which a guest on that host is reached. */
export interface SshJump {
  host: string;
  port?: number;
  user?: string;
  /** The URI's keyfile=, known_hosts= and no_verify=1, as libvirt's ssh transports read them. */
  keyPath?: string;
  knownHostsPath?: string;
  noVerify?: boolean;
}

/**
 * The jump host of a remote libvirt URI (qemu+ssh://user@host:port/system?keyfile=…), or
 * undefined when the daemon is on this machine. Only ssh transports name an sshd: a guest
 * behind tls or tcp has no way in that we could derive, so it gets none.
 */
export function sshJumpFor(uri: string): SshJump | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.hostname === "" || !/^[a-z0-9]+\+(ssh|libssh|libssh2)$/.test(url.protocol.slice(0, -1))) return undefined;
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : undefined,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    keyPath: param("keyfile"),
    knownHostsPath: param("known_hosts"),
    noVerify: param("no_verify") === "1",
  };
}
