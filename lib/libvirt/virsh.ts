import { LibvirtUnavailableError, NotFoundError, ToolError } from "../errors.ts";
import { run as defaultRun, which, type RunResult, type Runner } from "../host/run.ts";
import { openRpc, RpcTimeoutError, socketPath, type RpcClient, type RpcTimeouts } from "./_rpc-client.ts";
import { domainStateRpc, listDomainsRpc, networkActiveRpc, networkLeasesRpc } from "./rpc.ts";

/** One connection to libvirt: `virsh -c URI`, or libvirtd's RPC socket for read-only queries. */
export interface Virsh {
  uri: string;
  run: Runner;
  /** libvirtd's unix socket, when read-only queries may skip virsh and use RPC (see rpc.ts). */
  rpcSocket?: string | null;
  /** How long RPC waits for a silent daemon before virsh takes over; 2 s each by default. */
  rpcTimeouts?: RpcTimeouts;
}

/**
 * Makes the virsh handle every libvirt wrapper takes. Read-only queries go over
 * libvirt's RPC socket when the URI allows it, unless a runner is passed (tests
 * must see every call) or TESTCLOUD_LIBVIRT_RPC=0.
 */
export function connect(uri: string, run?: Runner): Virsh {
  const rpc = (run === undefined || run === defaultRun) && process.env.TESTCLOUD_LIBVIRT_RPC !== "0";
  return { uri, run: run ?? defaultRun, rpcSocket: rpc ? socketPath(uri) : null };
}

// One RPC client per handle, opened on first use; null once opening failed.
const clients = new WeakMap<Virsh, Promise<RpcClient | null>>();

/**
 * Runs a read-only query over RPC. Undefined means "ask virsh": the handle has no
 * socket, or connecting, authentication or the query failed or timed out. virsh
 * then gives the documented errors, such as LibvirtUnavailableError.
 */
async function viaRpc<T>(conn: Virsh, query: (client: RpcClient) => Promise<T>): Promise<T | undefined> {
  if (!conn.rpcSocket) return undefined;
  let opening = clients.get(conn);
  if (!opening) clients.set(conn, (opening = openRpc(conn.rpcSocket, conn.uri, conn.rpcTimeouts).catch(() => null)));
  const client = await opening;
  if (!client) return undefined;
  try {
    return await query(client);
  } catch (error) {
    if (clients.get(conn) !== opening || !client.closed) return undefined;
    // A broken connection (say libvirtd restarted) is reopened by the next query;
    // a daemon that went silent is likely stuck, so virsh answers from now on.
    if (error instanceof RpcTimeoutError) clients.set(conn, Promise.resolve(null));
    else clients.delete(conn);
    return undefined;
  }
}

const UNREACHABLE = /failed to connect|Failed to connect socket|no connection driver|Connection refused/i;
const NO_DOMAIN = /Domain not found|failed to get domain/i;
const NO_NETWORK = /Network not found|failed to get network/i;

/** Runs one virsh verb; connection and not-found failures become typed errors. */
export async function virsh(conn: Virsh, args: string[], allowFailure = false): Promise<RunResult> {
  const argv = ["virsh", "-q", "-c", conn.uri, ...args];
  const result = await conn.run(argv, { allowFailure: true });
  if (result.exitCode === 0 || allowFailure) return result;
  const stderr = result.stderr;
  if (UNREACHABLE.test(stderr)) {
    throw new LibvirtUnavailableError(`Cannot connect to libvirt: "${conn.uri}"`, {
      hint: "start the daemon (systemctl start libvirtd, or libvirtd -d) or pass --connect URI",
    });
  }
  if (NO_DOMAIN.test(stderr)) throw new NotFoundError(`Domain not found: "${args.at(-1)}"`);
  if (NO_NETWORK.test(stderr)) throw networkNotFound(args.at(-1)!);
  throw new ToolError(argv, result.exitCode, stderr);
}

function networkNotFound(name: string): NotFoundError {
  return new NotFoundError(`libvirt network not found: "${name}"`);
}

/** Domain states as virsh prints them ("running", "shut off", ...). */
export type DomainState = string;

/** Parses `virsh -q list --all` into name → state. */
export function parseDomainList(stdout: string): Map<string, DomainState> {
  const states = new Map<string, DomainState>();
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (match) states.set(match[2]!, match[3]!);
  }
  return states;
}

/** Every domain of the connection with its state, in one virsh call. */
export async function listDomains(conn: Virsh): Promise<Map<string, DomainState>> {
  return parseDomainList((await virsh(conn, ["list", "--all"])).stdout);
}

/** A domain as `virsh list --all --title` shows it. */
export interface DomainSummary {
  name: string;
  state: DomainState;
  title: string;
}

/** Parses `virsh list --all --title` (with its header: columns are found by the header's offsets). */
export function parseDomainTitles(stdout: string): DomainSummary[] {
  const lines = stdout.split("\n");
  const header = lines.findIndex((l) => /^\s*Id\s+Name\s+State\s+Title/.test(l));
  if (header < 0) return [];
  const head = lines[header]!;
  const [nameAt, stateAt, titleAt] = ["Name", "State", "Title"].map((c) => head.indexOf(c)) as [number, number, number];
  return lines
    .slice(header + 2)
    .filter((l) => l.trim() !== "")
    .map((l) => ({
      name: l.slice(nameAt, stateAt).trim(),
      state: l.slice(stateAt, titleAt).trim(),
      title: l.slice(titleAt).trim(),
    }));
}

/** Every domain with its state and title: over RPC, else in one virsh call. */
export async function listDomainSummaries(conn: Virsh): Promise<DomainSummary[]> {
  const fast = await viaRpc(conn, listDomainsRpc);
  if (fast) return fast;
  // Without -q: the header gives the column offsets, and names may hold spaces.
  const argv = ["virsh", "-c", conn.uri, "list", "--all", "--title"];
  const result = await conn.run(argv, { allowFailure: true });
  if (result.exitCode !== 0) await virsh(conn, ["list", "--all", "--title"]);
  return parseDomainTitles(result.stdout);
}

/** The state of one domain, or null when it does not exist. */
export async function domainState(conn: Virsh, name: string): Promise<DomainState | null> {
  const fast = await viaRpc(conn, (client) => domainStateRpc(client, name));
  if (fast !== undefined) return fast;
  const result = await virsh(conn, ["domstate", name], true);
  if (result.exitCode === 0) return result.stdout.trim();
  if (NO_DOMAIN.test(result.stderr)) return null;
  return virsh(conn, ["domstate", name]).then((r) => r.stdout.trim());
}

/** Defines a persistent domain from an XML file. */
export async function defineDomain(conn: Virsh, xmlPath: string): Promise<void> {
  await virsh(conn, ["define", xmlPath]);
}

export async function startDomain(conn: Virsh, name: string): Promise<void> {
  await virsh(conn, ["start", name]);
}

/** Asks the guest to power off (ACPI); returns at once. */
export async function shutdownDomain(conn: Virsh, name: string): Promise<void> {
  await virsh(conn, ["shutdown", name]);
}

/** Hard reset, like pressing the reset button. */
export async function resetDomain(conn: Virsh, name: string): Promise<void> {
  await virsh(conn, ["reset", name]);
}

/** Hard power-off; a domain that is already off is not an error. */
export async function destroyDomain(conn: Virsh, name: string): Promise<void> {
  const result = await virsh(conn, ["destroy", name], true);
  if (result.exitCode !== 0 && !/not running/i.test(result.stderr)) await virsh(conn, ["destroy", name]);
}

/** Removes the domain definition; a domain that is already gone is not an error. */
export async function undefineDomain(conn: Virsh, name: string): Promise<void> {
  const result = await virsh(conn, ["undefine", "--nvram", name], true);
  if (result.exitCode !== 0 && !NO_DOMAIN.test(result.stderr)) {
    await virsh(conn, ["undefine", "--nvram", name]);
  }
}

/** Checks that a libvirt network exists and is active. */
export async function networkActive(conn: Virsh, name: string): Promise<boolean> {
  const fast = await viaRpc(conn, (client) => networkActiveRpc(client, name));
  if (fast === null) throw networkNotFound(name);
  if (fast !== undefined) return fast;
  const result = await virsh(conn, ["net-info", name]);
  return /^Active:\s+yes/m.test(result.stdout);
}

/** Parses `virsh -q net-dhcp-leases NET` into MAC → IPv4 address. */
export function parseLeases(stdout: string): Map<string, string> {
  const leases = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+ipv4\s+([0-9.]+)\/\d+/i.exec(line);
    if (match) leases.set(match[1]!.toLowerCase(), match[2]!);
  }
  return leases;
}

/** The DHCP leases of a libvirt network (MAC → IPv4 address): over RPC, else in one virsh call. */
export async function networkLeases(conn: Virsh, network: string): Promise<Map<string, string>> {
  const fast = await viaRpc(conn, (client) => networkLeasesRpc(client, network));
  if (fast === null) throw networkNotFound(network);
  if (fast !== undefined) return fast;
  return parseLeases((await virsh(conn, ["net-dhcp-leases", network])).stdout);
}

/** True when the domain carries testcloud's <metadata> element, i.e. testcloud made it. */
export async function isOurDomain(conn: Virsh, name: string, namespace: string): Promise<boolean> {
  const result = await virsh(conn, ["metadata", name, namespace], true);
  return result.exitCode === 0 && result.stdout.trim() !== "";
}

/** Attaches the terminal to the domain's serial console (Ctrl-] detaches); returns virsh's status. */
export async function attachConsole(conn: Virsh, name: string): Promise<number> {
  const proc = Bun.spawn([which("virsh"), "-c", conn.uri, "console", name], { stdio: ["inherit", "inherit", "inherit"] });
  return proc.exited;
}
