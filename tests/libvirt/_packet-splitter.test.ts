import { describe, expect, test } from "bun:test";
import { MAX_PACKET, PacketSplitter } from "../../lib/libvirt/_packet-splitter.ts";
import { Proc, ProtocolError, XdrWriter } from "../../lib/libvirt/_xdr.ts";
import { packet } from "./_fake-libvirtd.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// Replies captured from this host's libvirtd 9.0 (length word first), as in xdr.test.ts.
const AUTH_NONE_REPLY = "00000024 20008086 00000001 00000042 00000001 00000001 00000000 00000001 00000000";
const STATE_REPLY = "00000024 20008086 00000001 000000d4 00000001 00000007 00000000 00000001 00000001";

describe("PacketSplitter", () => {
  const two = Buffer.concat([hex(AUTH_NONE_REPLY), hex(STATE_REPLY)]);

  test("splits a chunk holding two packets", () => {
    expect(new PacketSplitter().push(two).map(toHex)).toEqual([AUTH_NONE_REPLY, STATE_REPLY].map((s) => s.replace(/\s+/g, "")));
  });

  test("reassembles packets that arrive one byte at a time", () => {
    const splitter = new PacketSplitter();
    const out = [...two].flatMap((byte) => splitter.push(Uint8Array.of(byte)));
    expect(out.map(toHex)).toEqual([AUTH_NONE_REPLY, STATE_REPLY].map((s) => s.replace(/\s+/g, "")));
  });

  test.each([["shorter than a header", "0000001b"], ["over the 32 MiB limit", "7fffffff"]])(
    "rejects a length word %s",
    (_name, length) => {
      expect(() => new PacketSplitter().push(hex(length + "00".repeat(28)))).toThrow(ProtocolError);
    },
  );

  test("the limit is libvirt's VIR_NET_MESSAGE_MAX (32 MiB) plus the length word it does not count", () => {
    expect(MAX_PACKET).toBe(33554432 + 4);
    const word = (n: number) => new XdrWriter().uint(n).bytes();
    expect(new PacketSplitter().push(word(MAX_PACKET))).toEqual([]); // waits for the rest
    expect(() => new PacketSplitter().push(word(MAX_PACKET + 1))).toThrow(/Bad packet length from libvirt: 33554437/);
  });

  // Three packets cut in two at every offset: the cut falls inside a length word,
  // a header, a body, and on the boundaries between packets.
  const three = Buffer.concat([hex(AUTH_NONE_REPLY), hex(STATE_REPLY), hex(AUTH_NONE_REPLY)]);
  test.each([...three.keys()].map((at) => [at]))("reassembles three packets cut at offset %d", (at) => {
    const splitter = new PacketSplitter();
    const out = [...splitter.push(three.subarray(0, at)), ...splitter.push(three.subarray(at))];
    expect(out.map(toHex)).toEqual([AUTH_NONE_REPLY, STATE_REPLY, AUTH_NONE_REPLY].map((s) => s.replace(/\s+/g, "")));
  });

  test("reassembles a 16 MiB packet from 64-byte chunks in linear time", () => {
    const big = packet(Proc.domainGetMetadata, 7, Buffer.alloc(16 * 1024 * 1024, "0123456789abcdefghi"));
    const splitter = new PacketSplitter();
    const started = performance.now();
    const out: Uint8Array[] = [];
    // Joining the pending bytes with each chunk would copy ~2 TiB here: the loop gives up after 2 s.
    for (let at = 0; at < big.length && performance.now() - started < 2000; at += 64) {
      out.push(...splitter.push(big.subarray(at, at + 64)));
    }
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out).toHaveLength(1);
    expect(Buffer.compare(out[0]!, big)).toBe(0);
  });

  test("keeps no reference to a chunk: the socket may reuse its buffer", () => {
    const chunk = Uint8Array.from(two);
    const splitter = new PacketSplitter();
    const first = splitter.push(chunk.subarray(0, 40)); // one packet and part of the next
    chunk.fill(0xff, 0, 40);
    const second = splitter.push(chunk.subarray(40));
    expect([...first, ...second].map(toHex)).toEqual([AUTH_NONE_REPLY, STATE_REPLY].map((s) => s.replace(/\s+/g, "")));
  });
});
