/**
 * Framing of libvirt's RPC byte stream: each packet starts with a 4-byte
 * big-endian length word that counts the whole packet (src/rpc/virnetprotocol.x).
 */
import { HEADER, ProtocolError } from "./_xdr.ts";

// VIR_NET_MESSAGE_MAX of virnetprotocol.x (32 MiB) plus the length word, which it does not
// count: libvirt's virNetMessageDecodeLength refuses anything longer.
export const MAX_PACKET = 32 * 1024 * 1024 + 4;

/**
 * Cuts a byte stream into whole packets, checking each length word. Linear in
 * the bytes received: a packet's buffer is allocated once its length word is
 * known and every chunk is copied into it once (joining the pending bytes with
 * each chunk made a 32 MiB reply take 11 s). Nothing keeps a reference to a
 * chunk, which the socket may reuse.
 */
export class PacketSplitter {
  private readonly lengthWord = new Uint8Array(4);
  private lengthFill = 0;
  private packet: Uint8Array | null = null;
  private fill = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    const packets: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.packet) {
        const n = Math.min(4 - this.lengthFill, chunk.length - at);
        this.lengthWord.set(chunk.subarray(at, at + n), this.lengthFill);
        this.lengthFill += n;
        at += n;
        if (this.lengthFill < 4) break;
        this.packet = this.start();
      }
      const n = Math.min(this.packet.length - this.fill, chunk.length - at);
      this.packet.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === this.packet.length) {
        packets.push(this.packet);
        this.packet = null;
      }
    }
    return packets;
  }

  /** A packet's buffer with its length word in place, once the length passes libvirt's own check. */
  private start(): Uint8Array {
    const length = new DataView(this.lengthWord.buffer).getUint32(0);
    if (length < HEADER || length > MAX_PACKET) throw new ProtocolError(`Bad packet length from libvirt: ${length}`);
    const packet = new Uint8Array(length);
    packet.set(this.lengthWord);
    this.lengthFill = 0;
    this.fill = 4;
    return packet;
  }
}
