/**
 * The wire format of libvirt's remote protocol: packet header (src/rpc/virnetprotocol.x)
 * and the XDR encoding of calls and replies (src/remote/remote_protocol.x), big-endian.
 * Every read is bounds-checked: a short or malformed reply is a ProtocolError.
 */
export const PROGRAM = 0x20008086;
/** libvirt-qemu's program (src/remote/qemu_protocol.x): the QEMU monitor passthrough. */
export const QEMU_PROGRAM = 0x20008087;
export const VERSION = 1;
export const HEADER = 28; // length word + program, version, procedure, type, serial, status
const MAX_STRING = 4 * 1024 * 1024; // REMOTE_STRING_MAX of libvirt 9
const MAX_LIST = 65536; // the largest list limit we meet: REMOTE_NETWORK_DHCP_LEASES_MAX
export const CALL = 0;
export const REPLY = 1;
export const OK = 0;
export const ERROR = 1;

/** Procedure numbers of remote_protocol.x that the fast path uses. */
export const Proc = {
  connectOpen: 1,
  domainDefineXml: 11,
  domainLookupByName: 23,
  domainLookupByUuid: 24,
  networkLookupByName: 46,
  domainRestore: 54,
  authList: 66,
  networkIsActive: 152,
  domainAttachDeviceFlags: 160,
  domainGetState: 212,
  domainGetMetadata: 265,
  connectListAllDomains: 273,
  networkGetDhcpLeases: 341,
} as const;

/** virterror codes the fast path turns into results. */
export const ErrorCode = { noDomain: 42, noNetwork: 43, noDomainMetadata: 80 } as const;

/** A reply that does not parse, or a connection that broke mid-call. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** An error reply from the daemon (remote_error), with libvirt's error code. */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(
    readonly code: number,
    readonly errorDomain: number,
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds XDR: 4-byte big-endian words, strings and opaques padded to 4. */
export class XdrWriter {
  private buf = new Uint8Array(128);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  int(value: number): this {
    const at = this.reserve(4); // first: it may replace this.view
    this.view.setInt32(at, value);
    return this;
  }

  uint(value: number): this {
    const at = this.reserve(4);
    this.view.setUint32(at, value);
    return this;
  }

  /** Fixed-length opaque (a uuid): the bytes, padded. */
  opaque(bytes: Uint8Array): this {
    const at = this.reserve((bytes.length + 3) & ~3);
    this.buf.fill(0, at, this.len);
    this.buf.set(bytes, at);
    return this;
  }

  string(value: string): this {
    const bytes = encoder.encode(value);
    return this.uint(bytes.length).opaque(bytes);
  }

  /** remote_string: a pointer, so a 0/1 flag before the string. */
  optString(value: string | null): this {
    return value === null ? this.uint(0) : this.uint(1).string(value);
  }

  domain(dom: DomainRef): this {
    return this.string(dom.name).opaque(dom.uuid).int(dom.id);
  }

  network(net: NetworkRef): this {
    return this.string(net.name).opaque(net.uuid);
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads XDR with a bounds check on every field: a short or malformed reply is a ProtocolError. */
export class XdrReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private take(n: number): number {
    if (n > this.buf.length - this.pos) throw new ProtocolError(`Truncated reply: ${n} bytes wanted at offset ${this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int(): number {
    return this.view.getInt32(this.take(4));
  }

  uint(): number {
    return this.view.getUint32(this.take(4));
  }

  hyper(): bigint {
    return this.view.getBigInt64(this.take(8));
  }

  opaque(length: number): Uint8Array {
    const at = this.take((length + 3) & ~3);
    return this.buf.slice(at, at + length);
  }

  string(): string {
    const length = this.uint();
    if (length > MAX_STRING) throw new ProtocolError(`String too long in reply: ${length} bytes`);
    return decoder.decode(this.opaque(length));
  }

  /** An XDR optional (pointer): a 0/1 flag, then the value when 1. */
  optional<T>(read: () => T): T | null {
    const present = this.uint();
    if (present > 1) throw new ProtocolError(`Bad optional flag in reply: ${present}`);
    return present ? read() : null;
  }

  optString(): string | null {
    return this.optional(() => this.string());
  }

  array<T>(read: () => T): T[] {
    const count = this.uint();
    if (count > MAX_LIST) throw new ProtocolError(`List too long in reply: ${count} items`);
    return Array.from({ length: count }, read);
  }

  domain(): DomainRef {
    return { name: this.string(), uuid: this.opaque(16), id: this.int() };
  }

  network(): NetworkRef {
    return { name: this.string(), uuid: this.opaque(16) };
  }

  /** Fails unless the whole reply was consumed: a layout we got wrong shows up here. */
  end(): void {
    if (this.pos !== this.buf.length) throw new ProtocolError(`Unexpected ${this.buf.length - this.pos} trailing bytes in reply`);
  }
}

/** remote_nonnull_domain; `id` is -1 for a domain that is not running. */
export interface DomainRef {
  name: string;
  uuid: Uint8Array;
  id: number;
}

/** remote_nonnull_network. */
export interface NetworkRef {
  name: string;
  uuid: Uint8Array;
}

/** The fixed header of every packet. */
export interface Header {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

/** One CALL packet: length word, header, then the XDR arguments. */
export function encodeCall(procedure: number, serial: number, args: Uint8Array = new Uint8Array(), program = PROGRAM): Uint8Array {
  const head = new XdrWriter().uint(HEADER + args.length).uint(program).uint(VERSION).int(procedure);
  const packet = new Uint8Array(HEADER + args.length);
  packet.set(head.int(CALL).uint(serial).int(OK).bytes());
  packet.set(args, HEADER);
  return packet;
}

/** Splits one packet (length word included) into header and body. */
export function decodePacket(packet: Uint8Array): { header: Header; body: XdrReader } {
  const r = new XdrReader(packet.subarray(0, HEADER));
  if (r.uint() !== packet.length) throw new ProtocolError(`Packet length word does not match its ${packet.length} bytes`);
  const header = { program: r.uint(), version: r.uint(), procedure: r.int(), type: r.int(), serial: r.uint(), status: r.int() };
  return { header, body: new XdrReader(packet.subarray(HEADER)) };
}

/** Decodes remote_error; every field is read so a bad layout fails rather than misreads. */
export function decodeError(r: XdrReader): RemoteError {
  const code = r.int();
  const errorDomain = r.int();
  const message = r.optString();
  r.int(); // level
  r.optional(() => r.domain());
  for (let i = 0; i < 3; i++) r.optString(); // str1..str3
  r.int(); // int1
  r.int(); // int2
  r.optional(() => r.network());
  r.end();
  return new RemoteError(code, errorDomain, message ?? `libvirt error ${code}`);
}

/** Joins byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
