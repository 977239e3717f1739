/**
 * A fake libvirtd on a unix socket in a temp directory: it speaks the packet
 * framing of the real one and answers each call through a handler, so tests can
 * make it misbehave (wrong auth, malformed or truncated replies, hang-ups).
 */
import type { Socket } from "bun";
import { join } from "node:path";
import { MAX_PACKET, PacketSplitter } from "../../lib/libvirt/_packet-splitter.ts";
import { decodePacket, Proc, XdrWriter, type DomainRef, type XdrReader } from "../../lib/libvirt/_xdr.ts";

export const PROGRAM = 0x20008086;
export const KEEPALIVE_PROGRAM = 0x6b656570;

/** One packet from the daemon: length word, header, payload. */
export function packet(
  proc: number,
  serial: number,
  payload: Uint8Array = new Uint8Array(),
  { status = 0, type = 1, program = PROGRAM } = {},
): Uint8Array {
  const head = new XdrWriter().uint(28 + payload.length).uint(program).uint(1).int(proc).int(type).uint(serial).int(status);
  return Buffer.concat([head.bytes(), payload]);
}

/** A reply whose length word announces libvirt's largest packet, cut off after `bytes` bytes. */
export function truncatedReply(proc: number, serial: number, bytes = 100): Uint8Array {
  const raw = packet(proc, serial, new Uint8Array(bytes - 28));
  new DataView(raw.buffer, raw.byteOffset).setUint32(0, MAX_PACKET);
  return raw;
}

/** A remote_error body with only code and message set, as libvirtd fills them for a lookup. */
export function errorBody(code: number, message: string): Uint8Array {
  const w = new XdrWriter().int(code).int(10).optString(message).int(2).uint(0);
  return w.optString(null).optString(null).optString(null).int(0).int(0).uint(0).bytes();
}

/** What the handler answers: a reply body, an error reply, raw bytes, or hanging up. */
export type Answer = Uint8Array | { error: number; message?: string } | { raw: Uint8Array } | "hang up" | "silence" | { delayMs: number; answer: Answer };

export type Handler = (proc: number, args: XdrReader, connection: number, program?: number) => Answer | undefined;

/** A domain of `healthy`: its state, title and our metadata element as libvirt returns it (null: none). */
export type FakeDomain = DomainRef & { state: number; title: string | null; element?: string | null };

/** Answers like a healthy daemon with no auth and these domains, for the procedures the fast path uses. */
export function healthy(domains: FakeDomain[]): Handler {
  return (proc, args) => {
    switch (proc) {
      case Proc.authList:
        return new XdrWriter().uint(1).int(0).bytes();
      case Proc.connectOpen:
        return new Uint8Array();
      case Proc.connectListAllDomains: {
        const w = new XdrWriter().uint(domains.length);
        for (const d of domains) w.domain(d);
        return w.uint(domains.length).bytes();
      }
      case Proc.domainLookupByName: {
        const name = args.string();
        const d = domains.find((x) => x.name === name);
        return d ? new XdrWriter().domain(d).bytes() : { error: 42, message: `Domain not found: no domain with matching name '${name}'` };
      }
      case Proc.domainLookupByUuid: {
        const uuid = Buffer.from(args.opaque(16));
        const d = domains.find((x) => uuid.equals(x.uuid));
        return d ? new XdrWriter().domain(d).bytes() : { error: 42, message: "Domain not found: no domain with matching uuid" };
      }
      case Proc.domainGetState: {
        const name = args.domain().name;
        const d = domains.find((x) => x.name === name)!;
        return new XdrWriter().int(d.state).int(1).bytes();
      }
      case Proc.domainGetMetadata: {
        const name = args.domain().name;
        const d = domains.find((x) => x.name === name)!;
        const value = args.int() === 1 ? d.title : (d.element ?? null); // 1: VIR_DOMAIN_METADATA_TITLE
        return value === null ? { error: 80, message: "metadata not found" } : new XdrWriter().string(value).bytes();
      }
    }
    return undefined;
  };
}

export interface FakeDaemon {
  path: string;
  /** Procedures received, in order. */
  calls: number[];
  /** The program of each call in `calls`. */
  programs: number[];
  connections: number;
  /** Writes raw bytes to the newest connection, as if the daemon sent them on its own. */
  send(bytes: Uint8Array): void;
  stop(): void;
}

interface Connection {
  splitter: PacketSplitter;
  id: number;
  /** Bytes the socket did not take yet: a reply of megabytes leaves in many writes. */
  backlog: Uint8Array[];
}

/** Starts the fake on `dir`/libvirt-sock; `handler` answers every call, undefined is an "unsupported" error. */
export function fakeLibvirtd(dir: string, handler: Handler): FakeDaemon {
  const path = join(dir, "libvirt-sock");
  let newest: Socket<Connection> | undefined;
  const fake: FakeDaemon = {
    path,
    calls: [],
    programs: [],
    connections: 0,
    send: (bytes) => void (newest && write(newest, bytes)),
    stop: () => server.stop(true),
  };
  const server = Bun.listen<Connection>({
    unix: path,
    socket: {
      open(socket) {
        socket.data = { splitter: new PacketSplitter(), id: ++fake.connections, backlog: [] };
        newest = socket;
      },
      drain: (socket) => write(socket),
      data(socket, chunk) {
        for (const p of socket.data.splitter.push(chunk)) {
          const { header, body } = decodePacket(p);
          fake.calls.push(header.procedure);
          fake.programs.push(header.program);
          let reply: Answer | undefined;
          try {
            reply = handler(header.procedure, body, socket.data.id, header.program);
          } catch (error) {
            reply = { error: 1, message: `fake libvirtd: ${error}` }; // a bug in a test's handler, not a hang
          }
          answer(socket, header, reply);
        }
      },
    },
  });
  return fake;
}

/** Queues `bytes` after what the socket has not taken yet, and writes as much as it takes. */
function write(socket: Socket<Connection>, bytes?: Uint8Array): void {
  const backlog = socket.data.backlog;
  if (bytes) backlog.push(bytes);
  while (backlog.length) {
    const written = socket.write(backlog[0]!);
    if (written < backlog[0]!.length) {
      backlog[0] = backlog[0]!.subarray(Math.max(written, 0));
      return; // the rest goes on drain
    }
    backlog.shift();
  }
}

/** Replies to the call with `header` (in its program), now or after a delay. */
function answer(socket: Socket<Connection>, header: { procedure: number; serial: number; program: number }, reply: Answer | undefined): void {
  const { procedure: proc, serial, program } = header;
  if (reply === "silence") return;
  if (reply === "hang up") return void socket.end();
  if (reply === undefined) reply = { error: 3, message: "this function is not supported by the fake" };
  if (reply instanceof Uint8Array) write(socket, packet(proc, serial, reply, { program }));
  else if ("delayMs" in reply) setTimeout(() => answer(socket, header, reply.answer), reply.delayMs);
  else if ("raw" in reply) write(socket, reply.raw);
  else write(socket, packet(proc, serial, errorBody(reply.error, reply.message ?? "error"), { status: 1, program }));
}
