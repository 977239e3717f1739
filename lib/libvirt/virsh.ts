import { LibvirtUnavailableError, NotFoundError, TimeoutError, ToolError } from "../errors.ts";
import { run as defaultRun, runAttached, type RunResult, type Runner } from "../host/run.ts";
import { parseInstanceDir } from "./_instance-dir.ts";
import { openRpc, RpcTimeoutError, socketPath, type RpcClient, type RpcTimeouts } from "./_rpc-client.ts";
import { checkUuid } from "./_uuid.ts";
import { parseDomainList, parseDomainTitles, parseDomainUuids, parseDominfo } from "./_virsh-output.ts";
import { domainOwnerRpc, domainStateByUuidRpc, domainStateRpc, listDomainsRpc } from "./rpc.ts";
import { defineXmlRpc, monitorCommandRpc } from "./_rpc-changes.ts";
import { RemoteError } from "./_xdr.ts";

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

/**
 * Points a handle at another URI: an instance's verbs follow it to the host its record
 * names, whatever the default connection is. The RPC client of the old URI is dropped.
 */
export function retarget(conn: Virsh, uri: string): void {
  if (conn.uri === uri) return;
  conn.uri = uri;
  conn.rpcSocket = connect(uri, conn.run).rpcSocket;
  clients.delete(conn);
}

// One RPC client per handle, opened on first use; null once opening failed.
const clients = new WeakMap<Virsh, Promise<RpcClient | null>>();

/**
 * Runs a read-only query over RPC. Undefined means "ask virsh": the handle has no
 * socket, or connecting, authentication or the query failed or timed out. virsh
 * then gives the documented errors, such as LibvirtUnavailableError.
 */
export async function viaRpc<T>(conn: Virsh, query: (client: RpcClient) => Promise<T>): Promise<T | undefined> {
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

/**
 * Makes a change over RPC. Undefined means "ask virsh": there is no RPC connection, so
 * nothing was sent. Once sent, a failure is final (the change may have happened): the
 * daemon's error becomes the error virsh's message would have given.
 */
export async function viaRpcChange<T>(conn: Virsh, args: string[], change: (client: RpcClient) => Promise<T>): Promise<T | undefined> {
  const open = () => viaRpc(conn, async (c) => c);
  let client = await open();
  // A connection that broke since (a change that failed) is opened again: it sent nothing of this one.
  if (client?.closed) {
    clients.delete(conn);
    client = await open();
  }
  if (!client || client.closed) return undefined;
  try {
    return await change(client);
  } catch (error) {
    if (error instanceof RpcTimeoutError) throw new TimeoutError(`libvirt did not finish "virsh ${args[0]}": ${error.message}`);
    const message = error instanceof RemoteError ? error.message : `Cannot recv data: ${(error as Error).message}`;
    failed(conn, args, { argv: ["virsh", "-q", "-c", conn.uri, ...args], exitCode: 1, stdout: "", stderr: `error: ${message}` });
  }
}

// The last four: the daemon went away in the middle of the call (a restart).
const UNREACHABLE = /failed to connect|Failed to connect socket|no connection driver|Connection refused|End of file while reading data|Cannot recv data|Connection reset by peer|Broken pipe/i;
const NO_DOMAIN = /Domain not found|failed to get domain/i;
const NO_NETWORK = /Network not found|failed to get network/i;

/** Runs one virsh verb; connection and not-found failures become typed errors. */
export async function virsh(conn: Virsh, args: string[], allowFailure = false): Promise<RunResult> {
  const argv = ["virsh", "-q", "-c", conn.uri, ...args];
  const result = await conn.run(argv, { allowFailure: true });
  if (result.exitCode === 0 || allowFailure) return result;
  return failed(conn, args, result);
}

/** The typed error of a failed virsh run. */
export function failed(conn: Virsh, args: string[], { argv, exitCode, stderr }: RunResult): never {
  if (UNREACHABLE.test(stderr)) {
    throw new LibvirtUnavailableError(`Cannot connect to libvirt: "${conn.uri}"`, {
      hint: "start the daemon (systemctl start libvirtd, or libvirtd -d) or pass --connect URI",
    });
  }
  if (NO_DOMAIN.test(stderr)) throw new NotFoundError(`Domain not found: "${objectArg(args)}"`);
  if (NO_NETWORK.test(stderr)) throw networkNotFound(objectArg(args));
  throw new ToolError(argv, exitCode, stderr);
}

/**
 * The domain or network a verb names: the word after --domain, else the first word after
 * the verb that is not a flag (`qemu-monitor-command UUID --hmp CMD`, `attach-device UUID XML --live`).
 */
function objectArg(args: string[]): string {
  const flag = args.indexOf("--domain");
  if (flag >= 0 && args[flag + 1] !== undefined) return args[flag + 1]!;
  return args.slice(1).find((arg) => !arg.startsWith("--")) ?? "";
}

/** The error of a libvirt network that does not exist. */
export function networkNotFound(name: string): NotFoundError {
  return new NotFoundError(`libvirt network not found: "${name}"`);
}

/** Domain states as virsh prints them ("running", "shut off", ...). */
export type DomainState = string;

/** Every domain of the connection with its state, in one virsh call. */
export async function listDomains(conn: Virsh): Promise<Map<string, DomainState>> {
  return parseDomainList((await virsh(conn, ["list", "--all"])).stdout);
}

/** A domain as `virsh list --all --title` shows it, with its UUID. */
export interface DomainSummary {
  name: string;
  /** Lowercase, as virsh prints it: what our records address the domain by. */
  uuid: string;
  state: DomainState;
  title: string;
}

/**
 * Every domain with its UUID, state and title: over RPC, else in two virsh
 * calls (virsh ignores --title next to --uuid), joined by name. A domain that
 * one of them no longer saw is left out, as a vanished domain is over RPC.
 */
export async function listDomainSummaries(conn: Virsh): Promise<DomainSummary[]> {
  const fast = await viaRpc(conn, listDomainsRpc);
  if (fast) return fast;
  // Without -q: the header gives the column offsets, and names may hold spaces.
  const argv = ["virsh", "-c", conn.uri, "list", "--all", "--title"];
  const [table, uuids] = await Promise.all([conn.run(argv, { allowFailure: true }), virsh(conn, ["list", "--all", "--uuid", "--name"], true)]);
  if (table.exitCode !== 0) failed(conn, ["list", "--all", "--title"], table);
  if (uuids.exitCode !== 0) failed(conn, ["list", "--all", "--uuid", "--name"], uuids);
  const byName = parseDomainUuids(uuids.stdout);
  return parseDomainTitles(table.stdout).flatMap((row) => {
    const uuid = byName.get(row.name);
    return uuid ? [{ name: row.name, uuid, state: row.state, title: row.title }] : [];
  });
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

/**
 * `virsh dominfo UUID` as fields, or null when no domain has this UUID. virsh
 * looks up a UUID that matches no domain as a name: a domain named like our
 * UUID is told apart by the UUID line, which virsh prints from the same lookup.
 */
async function dominfoByUuid(conn: Virsh, uuid: string): Promise<Map<string, string> | null> {
  const result = await virsh(conn, ["dominfo", uuid], true);
  if (result.exitCode !== 0 && NO_DOMAIN.test(result.stderr)) return null;
  if (result.exitCode !== 0) failed(conn, ["dominfo", uuid], result);
  const info = parseDominfo(result.stdout);
  return info.get("UUID")?.toLowerCase() === uuid ? info : null;
}

/** The state of the domain with this UUID, or null when there is none. */
export async function domainStateByUuid(conn: Virsh, uuid: string): Promise<DomainState | null> {
  const id = checkUuid(uuid);
  const fast = await viaRpc(conn, (client) => domainStateByUuidRpc(client, id));
  if (fast !== undefined) return fast;
  return (await dominfoByUuid(conn, id))?.get("State") ?? null;
}

const NO_METADATA = /metadata not found/i;

/**
 * The <dir> of the domain's metadata element in `namespace` (testcloud's
 * METADATA_NS), or null when there is no domain with this UUID or it has no such
 * element. Anyone may define a domain with our namespace: callers compare the
 * result with the directory they expect, exactly.
 */
export async function domainOwner(conn: Virsh, uuid: string, namespace: string): Promise<string | null> {
  const id = checkUuid(uuid);
  const fast = await viaRpc(conn, (client) => domainOwnerRpc(client, id, namespace));
  if (fast !== undefined) return fast;
  const result = await virsh(conn, ["metadata", id, namespace], true);
  if (result.exitCode !== 0 && (NO_DOMAIN.test(result.stderr) || NO_METADATA.test(result.stderr))) return null;
  if (result.exitCode !== 0) failed(conn, ["metadata", id, namespace], result);
  // The element came from whatever virsh found for `id`: only ours if that was a UUID match.
  if (!(await dominfoByUuid(conn, id))) return null;
  return parseInstanceDir(result.stdout);
}

/** Defines a persistent domain from an XML file. */
export async function defineDomain(conn: Virsh, xmlPath: string): Promise<void> {
  const args = ["define", xmlPath];
  const done = await viaRpcChange(conn, args, async (c) => defineXmlRpc(c, await Bun.file(xmlPath).text()).then(() => true));
  if (!done) await virsh(conn, args);
}

// The verbs below change a domain: callers name it by the UUID in their record (virsh
// reads an all-digit name as a domain ID).

export async function startDomain(conn: Virsh, uuid: string): Promise<void> {
  await virsh(conn, ["start", uuid]);
}

/** Asks the guest to power off (ACPI); returns at once. */
export async function shutdownDomain(conn: Virsh, uuid: string): Promise<void> {
  await virsh(conn, ["shutdown", uuid]);
}

/** Hard reset, like pressing the reset button. */
export async function resetDomain(conn: Virsh, uuid: string): Promise<void> {
  await virsh(conn, ["reset", uuid]);
}

/** Hard power-off; a domain that is already off is not an error. */
export async function destroyDomain(conn: Virsh, uuid: string): Promise<void> {
  const result = await virsh(conn, ["destroy", uuid], true);
  if (result.exitCode !== 0 && !/not running/i.test(result.stderr)) await virsh(conn, ["destroy", uuid]);
}

/**
 * Removes the domain definition; a domain that is already gone is not an error. libvirt
 * refuses to undefine a domain with snapshot metadata: it goes too (the internal snapshots
 * themselves live in the instance's disks, deleted with its directory).
 */
export async function undefineDomain(conn: Virsh, uuid: string): Promise<void> {
  const args = ["undefine", "--nvram", "--tpm", "--snapshots-metadata", uuid];
  const result = await virsh(conn, args, true);
  if (result.exitCode !== 0 && !NO_DOMAIN.test(result.stderr)) await virsh(conn, args);
}

/**
 * Attaches the terminal to the domain's serial console (Ctrl-] detaches); returns virsh's
 * status. An abort (SIGTERM) stops virsh, which gives the terminal back as it was.
 */
export function attachConsole(conn: Virsh, uuid: string, signal?: AbortSignal): Promise<number> {
  return runAttached(["virsh", "-c", conn.uri, "console", uuid], signal, "Interrupted: the console was detached");
}

/**
 * Runs one QEMU human-monitor command in a running domain (what libvirt has no API for,
 * such as hostfwd_add). QEMU answers errors as text, not a status: any output is one.
 */
export async function monitorCommand(conn: Virsh, uuid: string, command: string): Promise<string> {
  const args = ["qemu-monitor-command", uuid, "--hmp", command];
  const output = await viaRpcChange(conn, args, (c) => monitorCommandRpc(c, uuid, command));
  return (output ?? (await virsh(conn, args)).stdout).trim();
}
