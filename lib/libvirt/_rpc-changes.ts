/**
 * The calls that change something, over the same RPC connection as rpc.ts's queries: what a
 * fork makes on its critical path (restore, define, plug its NIC), where one virsh process
 * each cost ~30 ms to start and connect. Unlike a query, a change is never retried through
 * virsh once sent (virsh.ts, viaRpcChange): it may have happened.
 */
import type { RpcClient } from "./_rpc-client.ts";
import { lookupByUuid } from "./rpc.ts";
import { ErrorCode, Proc, QEMU_PROGRAM, RemoteError, XdrWriter, type DomainRef } from "./_xdr.ts";

const AFFECT_LIVE = 1; // VIR_DOMAIN_AFFECT_LIVE
const MONITOR_HMP = 1; // VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP
const QEMU_PROC_MONITOR_COMMAND = 1; // QEMU_PROC_DOMAIN_MONITOR_COMMAND

async function domain(client: RpcClient, uuid: string): Promise<DomainRef> {
  const dom = await lookupByUuid(client, uuid);
  if (!dom) throw new RemoteError(ErrorCode.noDomain, 0, `Domain not found: no domain with matching uuid '${uuid}'`);
  return dom;
}

/** `virsh restore PATH`: the reply comes when the domain runs, so it may be silent for `replyMs`. */
export async function restoreRpc(client: RpcClient, path: string, replyMs: number): Promise<void> {
  (await client.call(Proc.domainRestore, new XdrWriter().string(path).bytes(), { replyMs })).end();
}

/** `virsh define` of this XML text. */
export async function defineXmlRpc(client: RpcClient, xml: string): Promise<void> {
  const body = await client.call(Proc.domainDefineXml, new XdrWriter().string(xml).bytes());
  body.domain();
  body.end();
}

/** `virsh attach-device UUID FILE --live`, with the file's XML text. */
export async function attachDeviceLiveRpc(client: RpcClient, uuid: string, xml: string): Promise<void> {
  const dom = await domain(client, uuid);
  (await client.call(Proc.domainAttachDeviceFlags, new XdrWriter().domain(dom).string(xml).uint(AFFECT_LIVE).bytes())).end();
}

/** `virsh qemu-monitor-command UUID --hmp COMMAND`: what the monitor printed. */
export async function monitorCommandRpc(client: RpcClient, uuid: string, command: string): Promise<string> {
  const dom = await domain(client, uuid);
  const args = new XdrWriter().domain(dom).string(command).uint(MONITOR_HMP).bytes();
  const body = await client.call(QEMU_PROC_MONITOR_COMMAND, args, { program: QEMU_PROGRAM });
  const output = body.string();
  body.end();
  return output;
}
