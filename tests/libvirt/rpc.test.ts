import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NotFoundError, LibvirtUnavailableError } from "../../lib/errors.ts";
import { run } from "../../lib/host/run.ts";
import { openRpc, RpcClient, socketPath } from "../../lib/libvirt/_rpc-client.ts";
import {
  decodeError,
  decodePacket,
  encodeCall,
  ErrorCode,
  PacketSplitter,
  Proc,
  ProtocolError,
  RemoteError,
  XdrReader,
  XdrWriter,
} from "../../lib/libvirt/_xdr.ts";
import { domainStateRpc, listDomainsRpc, networkActiveRpc, networkLeasesRpc, stateName } from "../../lib/libvirt/rpc.ts";
import { connect, domainState, listDomainSummaries, networkActive, networkLeases, type Virsh } from "../../lib/libvirt/virsh.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";
import { errorBody, fakeLibvirtd, healthy, KEEPALIVE_PROGRAM, packet, type FakeDaemon } from "./_fake-libvirtd.ts";

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
});

describe("socketPath", () => {
  const env = { XDG_RUNTIME_DIR: "/run/user/1000" };
  const cases: [string, boolean, string | null][] = [
    ["qemu:///system", true, "/var/run/libvirt/libvirt-sock"],
    ["qemu:///system", false, null],
    ["qemu:///session", true, "/run/user/1000/libvirt/libvirt-sock"],
    ["qemu:///session", false, null], // virsh would start the session daemon
    ["qemu+ssh://nohost/system", true, null],
    ["qemu+unix:///system", true, null],
    ["qemu://host/system", true, null],
    ["qemu:///system?socket=/tmp/x", true, null],
    ["test:///default", true, null],
    ["lxc:///system", true, null],
    ["qemu:///embed?root=/tmp/x", true, null],
  ];

  test.each(cases)("%s with the socket present: %p → %p", (uri, present, expected) => {
    expect(socketPath(uri, env, () => present)).toBe(expected);
  });

  test("qemu:///session without XDG_RUNTIME_DIR is left to virsh", () => {
    expect(socketPath("qemu:///session", {}, () => true)).toBeNull();
  });
});

test("stateName gives virsh's words for every virDomainState", () => {
  const words = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1].map(stateName);
  expect(words).toEqual(["no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended", "no state", "no state"]);
});

describe("RpcClient against a fake libvirtd", () => {
  const tempDir = useTempDirs("each");
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());

  const start = async (handler: Parameters<typeof fakeLibvirtd>[1]) => (fake = fakeLibvirtd(await tempDir(), handler));

  test("matches replies to calls by serial when they come back out of order, past keepalives and events", async () => {
    const daemon = await start(() => "silence");
    const client = await RpcClient.connect(daemon.path);
    const replies = [1, 2, 3].map(() => client.call(Proc.domainGetState));
    while (daemon.calls.length < 3) await Bun.sleep(5);
    const state = (serial: number) => packet(Proc.domainGetState, serial, new XdrWriter().int(serial * 10).int(0).bytes());
    daemon.send(
      Buffer.concat([
        packet(1, 0, new Uint8Array(), { program: KEEPALIVE_PROGRAM, type: 2 }), // a keepalive PING
        packet(315, 0, new XdrWriter().int(0).bytes(), { type: 2 }), // an event message of our program
        packet(Proc.domainGetState, 99, new XdrWriter().int(0).int(0).bytes()), // a serial nobody waits for
        state(3),
        state(2),
        state(1),
      ]),
    );
    const states = await Promise.all(replies.map(async (r) => (await r).int()));
    expect(states).toEqual([10, 20, 30]);
    client.close();
  });

  test("listDomainsRpc sorts like virsh, trims titles and shows a missing title as empty", async () => {
    const daemon = await start(healthy([
      { ...PROF1, name: "b-off", id: -1, state: 5, title: null },
      { ...PROF1, name: "A-off", id: -1, state: 5, title: "t" },
      { ...PROF1, name: "run-7", id: 7, state: 1, title: "seven" },
      { ...PROF1, name: "run-3", id: 3, state: 3, title: " padded " },
    ]));
    const client = await openRpc(daemon.path, "qemu:///system");
    expect(await listDomainsRpc(client)).toEqual([
      { name: "run-3", state: "paused", title: "padded" },
      { name: "run-7", state: "running", title: "seven" },
      { name: "A-off", state: "shut off", title: "t" },
      { name: "b-off", state: "shut off", title: "" },
    ]);
    expect(daemon.calls.slice(0, 3)).toEqual([Proc.authList, Proc.connectOpen, Proc.connectListAllDomains]);
    expect(daemon.calls.filter((p) => p === Proc.domainGetState)).toHaveLength(4);
    client.close();
  });

  test("openRpc gives up on a daemon that wants polkit or SASL, without trying to open", async () => {
    const daemon = await start((proc) =>
      proc === Proc.authList ? new XdrWriter().uint(1).int(2).bytes() : { error: 39, message: "authentication required" },
    );
    await expect(openRpc(daemon.path, "qemu:///system")).rejects.toThrow(/wants authentication/);
    expect(daemon.calls).toEqual([Proc.authList]);
  });

  test("openRpc sends CONNECT_OPEN only after AUTH_LIST's reply", async () => {
    // libvirtd lifts polkit for root while answering AUTH_LIST: an earlier open is refused.
    const daemon = await start((proc) => (proc === Proc.authList ? "silence" : new Uint8Array()));
    const opening = openRpc(daemon.path, "qemu:///system");
    await Bun.sleep(30);
    expect(daemon.calls).toEqual([Proc.authList]);
    daemon.send(packet(Proc.authList, 1, new XdrWriter().uint(1).int(0).bytes()));
    (await opening).close();
    expect(daemon.calls).toEqual([Proc.authList, Proc.connectOpen]);
  });

  test("openRpc proceeds when the auth list is empty", async () => {
    const daemon = await start((proc) => (proc === Proc.authList ? new XdrWriter().uint(0).bytes() : new Uint8Array()));
    (await openRpc(daemon.path, "qemu:///system")).close();
    expect(daemon.calls).toEqual([Proc.authList, Proc.connectOpen]);
  });

  test("a failed CONNECT_OPEN is a RemoteError", async () => {
    const daemon = await start((proc) => (proc === Proc.authList ? new XdrWriter().uint(1).int(0).bytes() : { error: 38, message: "no driver" }));
    await expect(openRpc(daemon.path, "qemu:///system")).rejects.toBeInstanceOf(RemoteError);
  });

  test("an error reply rejects only its own call", async () => {
    const daemon = await start(healthy([{ ...PROF1, state: 1, title: null }]));
    const client = await openRpc(daemon.path, "qemu:///system");
    const [found, missing] = await Promise.all([domainStateRpc(client, "prof1"), domainStateRpc(client, "nosuch")]);
    expect([found, missing]).toEqual(["running", null]);
    client.close();
  });

  test("a truncated reply body rejects the query with a ProtocolError", async () => {
    const base = healthy([{ ...PROF1, state: 1, title: null }]);
    const daemon = await start((proc, args, n) => (proc === Proc.domainGetState ? new XdrWriter().int(1).bytes() : base(proc, args, n)));
    const client = await openRpc(daemon.path, "qemu:///system");
    await expect(domainStateRpc(client, "prof1")).rejects.toBeInstanceOf(ProtocolError);
    expect(client.closed).toBe(false); // the connection itself is fine
    client.close();
  });

  test("a bad length word fails the calls in flight and every later call", async () => {
    const base = healthy([]);
    const daemon = await start((proc, args, n) => (proc === Proc.domainLookupByName ? { raw: hex("00000004") } : base(proc, args, n)));
    const client = await openRpc(daemon.path, "qemu:///system");
    await expect(domainStateRpc(client, "x")).rejects.toThrow(/Bad packet length/);
    expect(client.closed).toBe(true);
    await expect(client.call(Proc.authList)).rejects.toBeInstanceOf(ProtocolError);
  });

  test("the daemon hanging up fails the calls in flight", async () => {
    const base = healthy([]);
    const daemon = await start((proc, args, n) => (proc === Proc.connectListAllDomains ? "hang up" : base(proc, args, n)));
    const client = await openRpc(daemon.path, "qemu:///system");
    await expect(listDomainsRpc(client)).rejects.toThrow(/closed the connection/);
  });

  test("connecting to a socket that does not exist rejects", async () => {
    await expect(RpcClient.connect(join(await tempDir(), "no-such-sock"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("a reply to another procedure than the call is a ProtocolError", async () => {
    const daemon = await start(() => ({ raw: packet(Proc.domainGetState, 1, new XdrWriter().uint(0).bytes()) }));
    const client = await RpcClient.connect(daemon.path);
    await expect(client.call(Proc.authList)).rejects.toThrow(/does not match/);
    client.close();
  });
});

// ---- virsh.ts: fast path or virsh, against the real libvirtd of this host ----

const URI = "qemu:///system";
// These tests are about the fast path: run them with it on whatever the caller's environment says.
const savedSwitch = process.env.TESTCLOUD_LIBVIRT_RPC;
beforeAll(() => void delete process.env.TESTCLOUD_LIBVIRT_RPC);
afterAll(() => {
  if (savedSwitch !== undefined) process.env.TESTCLOUD_LIBVIRT_RPC = savedSwitch;
});
const SOCKET = "/var/run/libvirt/libvirt-sock";
// A custom runner turns the fast path off: these handles always spawn virsh.
const viaVirsh = () => connect(URI, (argv, options) => run(argv, options));

describe("connect chooses the fast path", () => {
  afterEach(() => void delete process.env.TESTCLOUD_LIBVIRT_RPC);

  test("for qemu:///system without a runner, when the daemon socket exists", () => {
    expect(connect(URI).rpcSocket).toBe(SOCKET);
    expect(connect(URI, run).rpcSocket).toBe(SOCKET);
  });

  test("not with a custom runner, a remote URI, or TESTCLOUD_LIBVIRT_RPC=0", () => {
    expect(viaVirsh().rpcSocket).toBeNull();
    expect(connect("qemu+ssh://nohost/system").rpcSocket).toBeNull();
    process.env.TESTCLOUD_LIBVIRT_RPC = "0";
    expect(connect(URI).rpcSocket).toBeNull();
  });
});

describe("virsh.ts falls back to virsh when the fast path fails", () => {
  const tempDir = useTempDirs("each");
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());
  const NOSUCH = `tc-rpc-nosuch-${process.pid}`;
  const through = (path: string): Virsh => ({ ...connect(URI, run), rpcSocket: path });

  test("the fast path answers when it works: the fake's domain is one virsh cannot see", async () => {
    fake = fakeLibvirtd(await tempDir(), healthy([{ ...PROF1, name: NOSUCH, state: 1, title: "fake" }]));
    expect(await listDomainSummaries(through(fake.path))).toEqual([{ name: NOSUCH, state: "running", title: "fake" }]);
    expect(await domainState(through(fake.path), NOSUCH)).toBe("running");
  });

  test.each([
    ["a truncated reply", hex("0000")],
    ["an unexpected error", { error: 1, message: "internal error" }],
    ["a hang-up", "hang up" as const],
  ])("after %s the answer comes from virsh", async (_name, bad) => {
    const base = healthy([{ ...PROF1, name: NOSUCH, state: 1, title: null }]);
    fake = fakeLibvirtd(await tempDir(), (proc, args, n) => (proc === Proc.domainGetState ? bad : base(proc, args, n)));
    // The fake says NOSUCH runs, the real daemon has no such domain: null proves virsh answered.
    expect(await domainState(through(fake.path), NOSUCH)).toBeNull();
  });

  test("a daemon that wants authentication is left to virsh", async () => {
    fake = fakeLibvirtd(await tempDir(), (proc) => (proc === Proc.authList ? new XdrWriter().uint(1).int(1).bytes() : { error: 7 }));
    expect(await networkActive(through(fake.path), "testcloud-test")).toBe(true);
    expect(fake.calls).not.toContain(Proc.networkLookupByName);
  });

  test("a broken connection is reopened by the next query", async () => {
    const base = healthy([{ ...PROF1, name: NOSUCH, state: 3, title: null }]);
    fake = fakeLibvirtd(await tempDir(), (proc, args, n) => (proc === Proc.domainGetState && n === 1 ? "hang up" : base(proc, args, n)));
    const conn = through(fake.path);
    expect(await domainState(conn, NOSUCH)).toBeNull(); // virsh's answer
    expect(await domainState(conn, NOSUCH)).toBe("paused"); // the fake's, on a new connection
    expect(fake.connections).toBe(2);
  });

  test("a socket path that does not exist is left to virsh", async () => {
    const conn = through(join(await tempDir(), "libvirt-sock"));
    expect(await networkActive(conn, "testcloud-test")).toBe(true);
    expect(await domainState(conn, NOSUCH)).toBeNull();
  });

  test("qemu+ssh://nohost/system goes to virsh, which reports libvirt unreachable", async () => {
    requireTool("virsh", "libvirt-clients");
    await expect(listDomainSummaries(connect("qemu+ssh://nohost/system"))).rejects.toBeInstanceOf(LibvirtUnavailableError);
  });
});

describe("the fast path agrees with virsh on the real daemon", () => {
  const tempDir = useTempDirs("all");
  const tag = `tc-rpc-${process.pid}`;
  const titled = `${tag}-a`; // started paused: an id and the "paused" state
  const untitled = `${tag}-b`; // shut off, no <title>: the metadata call fails with error 80
  const network = `${tag}-net`; // defined, never started
  const virshRun = (...args: string[]) => run(["virsh", "-q", "-c", URI, ...args]);
  const domainXml = (name: string, title: string) =>
    `<domain type='qemu'><name>${name}</name>${title}<memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`;

  beforeAll(async () => {
    requireTool("virsh", "libvirt-clients");
    const dir = await tempDir();
    await writeFile(join(dir, "a.xml"), domainXml(titled, "<title>testcloud rpc test</title>"));
    await writeFile(join(dir, "b.xml"), domainXml(untitled, ""));
    await writeFile(join(dir, "net.xml"), `<network><name>${network}</name></network>`);
    await virshRun("define", join(dir, "a.xml"));
    await virshRun("define", join(dir, "b.xml"));
    await virshRun("net-define", join(dir, "net.xml"));
    await virshRun("start", "--paused", titled);
  }, 60_000);

  afterAll(async () => {
    await run(["virsh", "-c", URI, "destroy", titled], { allowFailure: true });
    for (const name of [titled, untitled]) await run(["virsh", "-c", URI, "undefine", name], { allowFailure: true });
    await run(["virsh", "-c", URI, "net-undefine", network], { allowFailure: true });
  }, 60_000);

  test("the fast path is on for these handles", () => {
    expect(connect(URI).rpcSocket).toBe(SOCKET);
  });

  test("listDomainSummaries: same rows, states, titles and order as `virsh list --all --title`", async () => {
    // Other VMs on this host come and go: compare the rows that virsh shows the same before and after.
    const before = await listDomainSummaries(viaVirsh());
    const fast = await listDomainSummaries(connect(URI));
    const after = await listDomainSummaries(viaVirsh());
    const stable = before.filter((row) => after.some((other) => Bun.deepEquals(row, other)));
    const key = (r: { name: string }) => r.name;
    expect(fast.filter((row) => stable.some((s) => s.name === row.name))).toEqual(stable);
    for (const row of fast) expect([...before, ...after].map(key)).toContain(row.name);
    expect(fast).toContainEqual({ name: titled, state: "paused", title: "testcloud rpc test" });
    expect(fast).toContainEqual({ name: untitled, state: "shut off", title: "" });
  });

  test("domainState of an existing and a missing domain", async () => {
    for (const name of [titled, untitled, `${tag}-missing`]) {
      expect(await domainState(connect(URI), name)).toBe((await domainState(viaVirsh(), name))!);
    }
    expect(await domainState(connect(URI), `${tag}-missing`)).toBeNull();
  });

  test("networkLeases of testcloud-test, and of a network that is not running", async () => {
    const before = await networkLeases(viaVirsh(), "testcloud-test");
    const fast = await networkLeases(connect(URI), "testcloud-test");
    const after = await networkLeases(viaVirsh(), "testcloud-test");
    expect([before, after]).toContainEqual(fast);
    expect(await networkLeases(connect(URI), network)).toEqual(await networkLeases(viaVirsh(), network));
  });

  test("networkActive: true, false, and a missing network is the same NotFoundError", async () => {
    expect(await networkActive(connect(URI), "testcloud-test")).toBe(true);
    expect(await networkActive(connect(URI), network)).toBe(false);
    expect(await networkActive(viaVirsh(), network)).toBe(false);
    const fast = await networkActive(connect(URI), `${tag}-nonet`).catch((e: unknown) => e);
    const slow = await networkActive(viaVirsh(), `${tag}-nonet`).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(NotFoundError);
    expect((fast as Error).message).toBe((slow as Error).message);
    const leases = await networkLeases(connect(URI), `${tag}-nonet`).catch((e: unknown) => e);
    expect((leases as Error).message).toBe(`libvirt network not found: "${tag}-nonet"`);
  });

  test("the RPC queries answer what virsh prints for the same objects", async () => {
    const client = await openRpc(SOCKET, URI);
    expect(await domainStateRpc(client, titled)).toBe((await virshRun("domstate", titled)).stdout.trim());
    expect(await networkActiveRpc(client, "testcloud-test")).toBe(true);
    expect(await networkLeasesRpc(client, `${tag}-nonet`)).toBeNull();
    const rows = await listDomainsRpc(client);
    expect(rows.map((r) => r.name)).toContain(untitled);
    client.close();
  });

  test("a process that queried over RPC exits right after, the socket does not hold it", async () => {
    const script = `import { connect, domainState } from ${JSON.stringify(join(import.meta.dir, "../../lib/libvirt/virsh.ts"))};
      console.log(await domainState(connect("${URI}"), "${titled}"));`;
    const started = performance.now();
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect([out.trim(), code]).toEqual(["paused", 0]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("with TESTCLOUD_LIBVIRT_RPC=0 `testcloud list` needs virsh, without it it does not", async () => {
    const cli = join(import.meta.dir, "../../cli.ts");
    const env = { ...process.env, PATH: "/nonexistent", TESTCLOUD_DATA_DIR: await tempDir() };
    const list = (extra: Record<string, string>) =>
      Bun.spawn([process.execPath, cli, "--connect", URI, "list", "--json"], { env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
    const fast = list({});
    expect([JSON.parse(await new Response(fast.stdout).text()), await fast.exited]).toEqual([[], 0]);
    const slow = list({ TESTCLOUD_LIBVIRT_RPC: "0" });
    const error = JSON.parse(await new Response(slow.stdout).text()).error;
    expect([error.code, await slow.exited]).toEqual(["E_MISSING_TOOL", 3]);
  });
});
