/**
 * A small client for libvirt's remote RPC protocol over the local unix socket,
 * for the read-only queries `testcloud list` and friends make: one socket and a
 * few pipelined calls instead of one virsh process per query. Wire format:
 * libvirt's src/rpc/virnetprotocol.x (packet header) and
 * src/remote/remote_protocol.x (calls), all big-endian XDR. Anything unexpected
 * is an error here; virsh.ts then falls back to spawning virsh.
 */
import { RpcClient } from "./_rpc-client.ts";
import { parseInstanceDir } from "./_instance-dir.ts";
import { uuidBytes, uuidString } from "./_uuid.ts";
import { ErrorCode, Proc, RemoteError, XdrReader, XdrWriter, type DomainRef, type NetworkRef } from "./_xdr.ts";

/** Domain states as virsh prints them, indexed by virDomainState. */
const STATES = ["no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended"];

/** The virsh name of a virDomainState value. */
export function stateName(state: number): string {
  return STATES[state] ?? "no state";
}

/** Resolves `absent` instead of rejecting when the daemon answers with error `code`. */
async function unless<T, U>(code: number, absent: U, query: Promise<T>): Promise<T | U> {
  try {
    return await query;
  } catch (error) {
    if (error instanceof RemoteError && error.code === code) return absent;
    throw error;
  }
}

/**
 * One call whose whole reply `read` takes; null when the daemon answers with
 * error `missing` (no such domain or network).
 */
async function ask<T>(client: RpcClient, missing: number, proc: number, args: XdrWriter, read: (body: XdrReader) => T): Promise<T | null> {
  const body = await unless(missing, null, client.call(proc, args.bytes()));
  if (!body) return null;
  const value = read(body);
  body.end();
  return value;
}

async function domainStateCode(client: RpcClient, dom: DomainRef): Promise<number | null> {
  return ask(client, ErrorCode.noDomain, Proc.domainGetState, new XdrWriter().domain(dom).uint(0), (body) => {
    const state = body.int();
    body.int(); // reason
    return state;
  });
}

const TITLE = 1; // VIR_DOMAIN_METADATA_TITLE
const ELEMENT = 2; // VIR_DOMAIN_METADATA_ELEMENT

/** A metadata field; undefined when the domain has none, null when the domain is gone. */
async function domainMetadata(client: RpcClient, dom: DomainRef, type: number, uri: string | null): Promise<string | null | undefined> {
  const call = client.call(Proc.domainGetMetadata, new XdrWriter().domain(dom).int(type).optString(uri).uint(0).bytes());
  const body = await unless(ErrorCode.noDomain, null, unless(ErrorCode.noDomainMetadata, undefined, call));
  if (!body) return body;
  const value = body.string();
  body.end();
  return value;
}

async function domainTitle(client: RpcClient, dom: DomainRef): Promise<string | null> {
  const title = await domainMetadata(client, dom, TITLE, null);
  return title === undefined ? "" : title; // no title, which virsh shows as empty
}

/** Compares like virsh's vshStrcasecmp: ASCII case ignored, then byte order. */
function caseless(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** virsh's order (virshDomainSorter): running domains by id, then the others by name. */
function virshOrder(a: DomainRef, b: DomainRef): number {
  if (a.id !== -1 || b.id !== -1) return a.id === -1 ? 1 : b.id === -1 ? -1 : a.id - b.id;
  return caseless(a.name, b.name);
}

/**
 * What `virsh list --all --title` shows: one call for the list, then a state and
 * a title call per domain, all in flight together. A domain that vanishes in
 * between is left out, as virsh leaves it out.
 */
export async function listDomainsRpc(client: RpcClient): Promise<{ name: string; uuid: string; state: string; title: string }[]> {
  const ALL = 3; // VIR_CONNECT_LIST_DOMAINS_ACTIVE | _INACTIVE
  const body = await client.call(Proc.connectListAllDomains, new XdrWriter().int(1).uint(ALL).bytes());
  const domains = body.array(() => body.domain());
  body.uint(); // ret: the count again
  body.end();
  const rows = await Promise.all(
    domains.sort(virshOrder).map(async (dom) => {
      const [state, title] = await Promise.all([domainStateCode(client, dom), domainTitle(client, dom)]);
      // Trimmed like the columns parsed from virsh's table.
      if (state === null || title === null) return [];
      return [{ name: dom.name, uuid: uuidString(dom.uuid), state: stateName(state), title: title.trim() }];
    }),
  );
  return rows.flat();
}

/**
 * What `virsh domstate NAME` prints, or null when there is no such domain. By
 * name only: virsh would take an all-digit name for a domain id.
 */
export async function domainStateRpc(client: RpcClient, name: string): Promise<string | null> {
  const dom = await ask(client, ErrorCode.noDomain, Proc.domainLookupByName, new XdrWriter().string(name), (b) => b.domain());
  return dom && domainStateOf(client, dom);
}

async function domainStateOf(client: RpcClient, dom: DomainRef): Promise<string | null> {
  const state = await domainStateCode(client, dom);
  return state === null ? null : stateName(state);
}

/** The domain with this UUID as the daemon names it; null when there is none. */
export async function lookupByUuid(client: RpcClient, uuid: string): Promise<DomainRef | null> {
  return ask(client, ErrorCode.noDomain, Proc.domainLookupByUuid, new XdrWriter().opaque(uuidBytes(uuid)), (b) => b.domain());
}

/** What `virsh domstate UUID` prints for the domain with this UUID, or null when there is none. */
export async function domainStateByUuidRpc(client: RpcClient, uuid: string): Promise<string | null> {
  const dom = await lookupByUuid(client, uuid);
  return dom && domainStateOf(client, dom);
}

/**
 * The text of <dir> in the domain's metadata element of `namespace` (see
 * parseInstanceDir), or null when there is no such domain or element.
 */
export async function domainOwnerRpc(client: RpcClient, uuid: string, namespace: string): Promise<string | null> {
  const dom = await lookupByUuid(client, uuid);
  const element = dom && (await domainMetadata(client, dom, ELEMENT, namespace));
  return element ? parseInstanceDir(element) : null;
}

async function lookupNetwork(client: RpcClient, name: string): Promise<NetworkRef | null> {
  return ask(client, ErrorCode.noNetwork, Proc.networkLookupByName, new XdrWriter().string(name), (b) => b.network());
}

/** The Active line of `virsh net-info NAME`, or null when there is no such network. */
export async function networkActiveRpc(client: RpcClient, name: string): Promise<boolean | null> {
  const net = await lookupNetwork(client, name);
  return net && ask(client, ErrorCode.noNetwork, Proc.networkIsActive, new XdrWriter().network(net), (b) => b.int() > 0);
}

interface Lease {
  type: number;
  mac: string | null;
  ipaddr: string;
}

function readLease(r: XdrReader): Lease {
  r.string(); // iface
  r.hyper(); // expirytime
  const type = r.int();
  const mac = r.optString();
  r.optString(); // iaid
  const ipaddr = r.string();
  r.uint(); // prefix
  r.optString(); // hostname
  r.optString(); // clientid
  return { type, mac, ipaddr };
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const IPV4 = 0; // VIR_IP_ADDR_TYPE_IPV4

/**
 * The IPv4 leases of `virsh net-dhcp-leases NAME` as MAC → address, or null
 * when there is no such network. Sorted by MAC like virsh, so that when one MAC
 * holds two leases the same one wins as when parsing virsh's table.
 */
export async function networkLeasesRpc(client: RpcClient, name: string): Promise<Map<string, string> | null> {
  const net = await lookupNetwork(client, name);
  if (!net) return null;
  const args = new XdrWriter().network(net).optString(null).int(1).uint(0);
  const leases = await ask(client, ErrorCode.noNetwork, Proc.networkGetDhcpLeases, args, (body) => {
    const list = body.array(() => readLease(body));
    body.uint(); // ret
    return list;
  });
  if (!leases) return null;
  const pairs: [string, string][] = [];
  for (const { type, mac, ipaddr } of leases) {
    if (type === IPV4 && mac && MAC.test(mac) && /^[0-9.]+$/.test(ipaddr)) pairs.push([mac.toLowerCase(), ipaddr]);
  }
  return new Map(pairs.sort((a, b) => caseless(a[0], b[0])));
}
