/**
 * One connection to the local libvirt daemon's unix socket: pipelined calls matched
 * to replies by serial, and the open handshake (auth check, then CONNECT_OPEN).
 * A daemon that stops answering fails the calls after a timeout, so the caller can
 * fall back to virsh instead of waiting forever.
 */
import type { Socket } from "bun";
import {
  ERROR,
  OK,
  PROGRAM,
  Proc,
  ProtocolError,
  REPLY,
  VERSION,
  XdrReader,
  XdrWriter,
  concat,
  decodeError,
  decodePacket,
  encodeCall,
} from "./_xdr.ts";
import { PacketSplitter } from "./_packet-splitter.ts";

/** How long to wait, in milliseconds, for the daemon. */
export interface RpcTimeouts {
  /** For connecting plus the open handshake, in all. */
  openMs?: number;
  /** For the next byte while a call is in flight: a large reply that keeps coming is never cut off. */
  replyMs?: number;
}

// libvirtd answers these read-only calls in milliseconds; past this, virsh is the better bet.
const DEFAULT_TIMEOUT_MS = 2000;

/** The daemon went silent: nothing arrived for a call in flight, or the handshake took too long. */
export class RpcTimeoutError extends ProtocolError {
  override name = "RpcTimeoutError";
}

/** How one call differs from a read-only query of libvirt's main program. */
export interface CallOptions {
  /** The RPC program (PROGRAM, or QEMU_PROGRAM for the monitor passthrough). */
  program?: number;
  /** How long the daemon may stay silent while this call is in flight: a restore answers when done. */
  replyMs?: number;
}

interface Pending {
  procedure: number;
  program: number;
  replyMs: number;
  resolve: (body: XdrReader) => void;
  reject: (error: Error) => void;
}

/**
 * One connection to libvirtd. Calls are pipelined: each gets a serial and its
 * reply is matched by serial, so many calls can be in flight at once. The socket
 * keeps the process alive only while a call is in flight.
 */
export class RpcClient {
  private socket?: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new PacketSplitter();
  private outbox: Uint8Array[] = [];
  private serial = 0;
  private failure: Error | null = null;
  private silence?: Timer;
  /** The silence the running wait allows (watch). */
  private waitMs = 0;

  private constructor(private readonly replyMs: number) {}

  /** Connects to the socket; rejects on ENOENT, ECONNREFUSED, EACCES and the like. */
  static async connect(path: string, replyMs = DEFAULT_TIMEOUT_MS): Promise<RpcClient> {
    const client = new RpcClient(replyMs);
    client.socket = await Bun.connect({
      unix: path,
      socket: {
        data: (_socket, chunk) => client.receive(chunk),
        drain: () => client.flush(),
        close: () => client.fail(new ProtocolError("libvirt closed the connection")),
        error: (_socket, error) => client.fail(error),
        connectError: () => {}, // Bun.connect rejects with the error
      },
    });
    client.socket.unref();
    return client;
  }

  /** Sends one call; resolves with the reply body, rejects with RemoteError or ProtocolError. */
  call(procedure: number, args?: Uint8Array, options: CallOptions = {}): Promise<XdrReader> {
    if (this.failure) return Promise.reject(this.failure);
    const { promise, resolve, reject } = Promise.withResolvers<XdrReader>();
    this.serial = (this.serial + 1) >>> 0;
    const program = options.program ?? PROGRAM;
    const replyMs = options.replyMs ?? this.replyMs;
    this.pending.set(this.serial, { procedure, program, replyMs, resolve, reject });
    if (this.pending.size === 1) this.socket!.ref();
    // The wait starts with the first call in flight; a more patient call lengthens it.
    if (this.pending.size === 1 || replyMs > this.waitMs) this.watch();
    // Calls made in the same tick leave in one write.
    if (this.outbox.push(encodeCall(procedure, this.serial, args, program)) === 1) queueMicrotask(() => this.flush());
    return promise;
  }

  /** True once the connection broke or was closed: later calls fail at once. */
  get closed(): boolean {
    return this.failure !== null;
  }

  /** Closes the socket; calls still in flight fail with `reason`. */
  close(reason: Error = new ProtocolError("Connection to libvirt closed")): void {
    this.fail(reason);
  }

  /** (Re)starts the wait for the daemon's next byte; each byte received restarts it. */
  private watch(): void {
    clearTimeout(this.silence);
    // The most patient call in flight sets the wait: a silent daemon may be working on it.
    let ms = 0;
    for (const call of this.pending.values()) ms = Math.max(ms, call.replyMs);
    this.waitMs = ms;
    const timeout = () => this.fail(new RpcTimeoutError(`libvirt sent nothing for ${ms} ms while a call was in flight`));
    this.silence = setTimeout(timeout, ms);
  }

  private flush(): void {
    if (!this.outbox.length || !this.socket || this.failure) return;
    const data = this.outbox.length === 1 ? this.outbox[0]! : concat(this.outbox);
    const written = this.socket.write(data);
    if (written < 0) return this.fail(new ProtocolError("Cannot write to the libvirt socket"));
    // A short write leaves the rest for the drain callback.
    this.outbox = written < data.length ? [data.subarray(written)] : [];
  }

  private receive(chunk: Uint8Array): void {
    if (this.pending.size > 0) this.watch();
    try {
      for (const packet of this.splitter.push(chunk)) this.dispatch(packet);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private dispatch(packet: Uint8Array): void {
    const { header, body } = decodePacket(packet);
    // Keepalive pings (program 0x6b656570) and events are not replies to us.
    if (header.type !== REPLY) return;
    const call = this.pending.get(header.serial);
    if (!call || header.program !== call.program) return;
    this.settle(header.serial);
    if (header.version !== VERSION || header.procedure !== call.procedure) {
      call.reject(new ProtocolError(`Reply does not match call ${call.procedure}: ${JSON.stringify(header)}`));
    } else if (header.status === OK) {
      call.resolve(body);
    } else if (header.status === ERROR) {
      call.reject(decodeError(body));
    } else {
      call.reject(new ProtocolError(`Unexpected reply status ${header.status} to call ${call.procedure}`));
    }
  }

  private settle(serial: number): void {
    this.pending.delete(serial);
    if (this.pending.size > 0) return;
    clearTimeout(this.silence);
    this.socket?.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearTimeout(this.silence);
    this.outbox = [];
    for (const [serial, call] of this.pending) {
      this.settle(serial);
      call.reject(this.failure);
    }
    this.socket?.end();
  }
}

/**
 * The daemon socket for a connection URI, or null when virsh must handle the URI:
 * remote hosts and transports (qemu+ssh://), query parameters, drivers other than qemu.
 * Whether the socket is there is not asked: connecting to a missing one fails at once
 * (ENOENT) and virsh takes over, which for qemu:///session starts the session daemon.
 */
export function socketPath(uri: string, env = process.env): string | null {
  const match = /^qemu:\/\/\/(system|session)$/.exec(uri);
  if (!match) return null;
  if (match[1] === "system") return "/var/run/libvirt/libvirt-sock";
  return env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/libvirt/libvirt-sock` : null;
}

const AUTH_NONE = 0;

/**
 * Connects and opens `uri` on the daemon at `path`. Only a daemon that needs no
 * authentication is used: SASL or polkit is virsh's job, so they are an error here.
 * The whole handshake must finish within `openMs`; later calls each get `replyMs`.
 */
export async function openRpc(path: string, uri: string, timeouts: RpcTimeouts = {}): Promise<RpcClient> {
  const openMs = timeouts.openMs ?? DEFAULT_TIMEOUT_MS;
  const expired = new RpcTimeoutError(`libvirt did not open the connection within ${openMs} ms`);
  let client: RpcClient | undefined;
  let late = false;
  // Closing the client fails the handshake call in flight. Connecting itself does
  // not hang: a unix socket whose backlog is full refuses at once (ECONNREFUSED).
  const timer = setTimeout(() => {
    late = true;
    client?.close(expired);
  }, openMs);
  try {
    client = await RpcClient.connect(path, timeouts.replyMs);
    if (late) throw expired;
    await handshake(client, uri);
    return client;
  } catch (error) {
    client?.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function handshake(client: RpcClient, uri: string): Promise<void> {
  // Not pipelined with the open: for root, AUTH_LIST itself is what lifts the
  // socket's polkit requirement, so an open sent before its reply may be refused.
  const body = await client.call(Proc.authList);
  const types = body.array(() => body.int());
  body.end();
  if (types.length > 0 && !types.includes(AUTH_NONE)) {
    throw new ProtocolError(`libvirt wants authentication (types ${types.join(", ")}): left to virsh`);
  }
  (await client.call(Proc.connectOpen, new XdrWriter().optString(uri).uint(0).bytes())).end();
}
