/**
 * Why a libvirt URI is refused, or null when it is acceptable. libvirt's `ext`
 * transport and its `command=`/`netcat=` parameters run a program of the URI's
 * choosing; a URI can come from a config file or a variable, so it must not.
 */
export function uriProblem(uri: string): string | null {
  const scheme = /^([a-z][a-z0-9]*)(?:\+([a-z0-9]+))?:\/\//.exec(uri);
  if (!scheme) return 'not a libvirt URI such as "qemu:///system"';
  const [, driver, transport] = scheme;
  if (driver !== "qemu" && driver !== "test") return `driver "${driver}" is not supported: use qemu`;
  if (transport === "ext") return 'the "ext" transport runs a program: not allowed';
  if (transport !== undefined && !TRANSPORTS.has(transport)) return `unknown transport "${transport}"`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'not a libvirt URI such as "qemu:///system"';
  }
  if (url.hostname.startsWith("-") || url.username.startsWith("-")) return "a host or user name may not start with \"-\"";
  for (const key of url.searchParams.keys()) {
    if (RUNS_A_PROGRAM.has(key.toLowerCase())) return `the "${key}" parameter runs a program: not allowed`;
  }
  return null;
}

const TRANSPORTS = new Set(["unix", "ssh", "libssh", "libssh2", "tls", "tcp"]);
// libvirt's remote driver: command= (ext) and netcat= (the remote helper ssh runs).
const RUNS_A_PROGRAM = new Set(["command", "netcat"]);
