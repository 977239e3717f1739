import { describe, expect, test } from "bun:test";
import {
  decodeError,
  decodePacket,
  encodeCall,
  ErrorCode,
  Proc,
  ProtocolError,
  RemoteError,
  XdrReader,
  XdrWriter,
} from "../../lib/libvirt/_xdr.ts";
import { errorBody, packet } from "./_fake-libvirtd.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const reader = (s: string) => new XdrReader(hex(s));

// The domain virsh 9.0 queried in the strace capture below: "prof1", running with id 42.
const PROF1 = { name: "prof1", uuid: hex("3bed800820d14a4da714abcd65b0fdcd"), id: 42 };

describe("XDR encoding, checked against packets virsh 9.0 sent (strace)", () => {
  test("CONNECT_OPEN arguments: optional string URI, then flags", () => {
    const args = new XdrWriter().optString("qemu:///system").uint(0).bytes();
    expect(toHex(args)).toBe("00000001" + "0000000e" + "71656d753a2f2f2f73797374656d0000" + "00000000");
  });

  const calls: [string, number, number, Uint8Array, string][] = [
    ["AUTH_LIST", Proc.authList, 0, new Uint8Array(), "0000001c 20008086 00000001 00000042 00000000 00000000 00000000"],
    [
      "CONNECT_OPEN",
      Proc.connectOpen,
      2,
      new XdrWriter().optString("qemu:///system").uint(0).bytes(),
      "00000038 20008086 00000001 00000001 00000000 00000002 00000000 00000001 0000000e 71656d753a2f2f2f73797374656d0000 00000000",
    ],
    [
      "CONNECT_LIST_ALL_DOMAINS",
      Proc.connectListAllDomains,
      6,
      new XdrWriter().int(1).uint(3).bytes(),
      "00000024 20008086 00000001 00000111 00000000 00000006 00000000 00000001 00000003",
    ],
    [
      "DOMAIN_GET_STATE",
      Proc.domainGetState,
      7,
      new XdrWriter().domain(PROF1).uint(0).bytes(),
      "00000040 20008086 00000001 000000d4 00000000 00000007 00000000 00000005 70726f6631000000 3bed800820d14a4da714abcd65b0fdcd 0000002a 00000000",
    ],
    [
      "DOMAIN_GET_METADATA (title)",
      Proc.domainGetMetadata,
      8,
      new XdrWriter().domain(PROF1).int(1).optString(null).uint(0).bytes(),
      "00000048 20008086 00000001 00000109 00000000 00000008 00000000 00000005 70726f6631000000 3bed800820d14a4da714abcd65b0fdcd 0000002a 00000001 00000000 00000000",
    ],
  ];

  test.each(calls)("encodeCall builds the %s packet byte for byte", (_name, proc, serial, args, expected) => {
    expect(toHex(encodeCall(proc, serial, args))).toBe(expected.replace(/\s+/g, ""));
  });

  test("XdrWriter grows past its first buffer without losing bytes", () => {
    const w = new XdrWriter();
    for (let i = 0; i < 100; i++) w.uint(i).string("x".repeat(i % 7));
    const r = new XdrReader(w.bytes());
    for (let i = 0; i < 100; i++) expect([r.uint(), r.string()]).toEqual([i, "x".repeat(i % 7)]);
    r.end();
  });

  test("strings are padded to 4 bytes with zeros, and empty strings take one word", () => {
    expect(toHex(new XdrWriter().string("abcd").string("").string("é").bytes())).toBe("0000000461626364" + "00000000" + "00000002c3a90000");
  });
});

// Replies captured from this host's libvirtd 9.0 (length word first).
const AUTH_NONE_REPLY = "00000024 20008086 00000001 00000042 00000001 00000001 00000000 00000001 00000000";
const STATE_REPLY = "00000024 20008086 00000001 000000d4 00000001 00000007 00000000 00000001 00000001";
const NO_DOMAIN_REPLY =
  "000000c82000808600000001000000170000000100000003000000010000002a0000000a0000000100000037446f6d61696e206e6f7420666f756e643a206e6f20646f6d61696e2077697468206d61746368696e67206e616d6520276e6f73756368270000000002000000000000000100000014446f6d61696e206e6f7420666f756e643a20257300000001000000256e6f20646f6d61696e2077697468206d61746368696e67206e616d6520276e6f737563682700000000000000ffffffffffffffff00000000";
const NO_NETWORK_REPLY =
  "000000cc20008086000000010000002e0000000100000005000000010000002b0000001300000001000000384e6574776f726b206e6f7420666f756e643a206e6f206e6574776f726b2077697468206d61746368696e67206e616d6520276e6f6e657427000000020000000000000001000000154e6574776f726b206e6f7420666f756e643a20257300000000000001000000256e6f206e6574776f726b2077697468206d61746368696e67206e616d6520276e6f6e65742700000000000000ffffffffffffffff00000000";
const NETWORK_REPLY =
  "0000004020008086000000010000002e0000000100000004000000000000000e74657374636c6f75642d7465737400007970e751fbac4ed38774c02cd5111536";

describe("XDR decoding of real and hand-built replies", () => {
  test("decodePacket reads the header of an AUTH_LIST reply: one type, 0 (none)", () => {
    const { header, body } = decodePacket(hex(AUTH_NONE_REPLY));
    expect(header).toEqual({ program: 0x20008086, version: 1, procedure: 66, type: 1, serial: 1, status: 0 });
    expect(body.array(() => body.int())).toEqual([0]);
    body.end();
  });

  test("a GET_STATE reply is state then reason", () => {
    const { header, body } = decodePacket(hex(STATE_REPLY));
    expect([header.serial, body.int(), body.int()]).toEqual([7, 1, 1]);
    body.end();
  });

  test("a NETWORK_LOOKUP_BY_NAME reply is a remote_nonnull_network", () => {
    const { body } = decodePacket(hex(NETWORK_REPLY));
    const net = body.network();
    body.end();
    expect(net.name).toBe("testcloud-test");
    expect(toHex(net.uuid)).toBe("7970e751fbac4ed38774c02cd5111536");
  });

  test.each([
    ["domain", NO_DOMAIN_REPLY, ErrorCode.noDomain, "Domain not found: no domain with matching name 'nosuch'"],
    ["network", NO_NETWORK_REPLY, ErrorCode.noNetwork, "Network not found: no network with matching name 'nonet'"],
  ])("decodeError reads libvirtd's no-such-%s error reply completely", (_kind, reply, code, message) => {
    const { header, body } = decodePacket(hex(reply));
    expect(header.status).toBe(1);
    const error = decodeError(body);
    expect(error).toBeInstanceOf(RemoteError);
    expect([error.code, error.message]).toEqual([code, message]);
  });

  test("decodeError reads a hand-built error with a null message", () => {
    const body = new XdrWriter().int(80).int(10).optString(null).int(2).uint(0);
    body.optString(null).optString(null).optString(null).int(0).int(0).uint(0);
    expect(decodeError(new XdrReader(body.bytes())).code).toBe(80);
  });

  const malformed: [string, () => unknown][] = [
    ["a truncated int", () => reader("000000").int()],
    ["a string longer than the reply", () => reader("00000010 6162").string()],
    ["a string without its padding", () => reader("00000001 61").string()],
    ["an optional flag other than 0/1", () => reader("00000002").optString()],
    ["a list with an absurd count", () => reader("7fffffff").array(() => 0)],
    ["trailing bytes after the last field", () => reader("00000001 00000002").end()],
    ["a truncated error reply", () => decodeError(decodePacket(hex(NO_DOMAIN_REPLY).subarray(0, 120)).body)],
    ["an error reply with an extra field", () => decodeError(new XdrReader(Buffer.concat([errorBody(42, "x"), hex("00000000")])))],
  ];

  test.each(malformed)("rejects %s with a ProtocolError", (_name, decode) => {
    expect(decode).toThrow(ProtocolError);
  });

  test("hyper reads 8 bytes, signed", () => {
    expect(reader("ffffffff fffffffe").hyper()).toBe(-2n);
  });
});
