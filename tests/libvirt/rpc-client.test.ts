import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { run } from "../../lib/host/run.ts";
import { openRpc, RpcClient, RpcTimeoutError, socketPath } from "../../lib/libvirt/_rpc-client.ts";
import { Proc, ProtocolError, RemoteError, XdrWriter } from "../../lib/libvirt/_xdr.ts";
import { domainStateRpc, listDomainsRpc } from "../../lib/libvirt/rpc.ts";
import { connect, listDomainSummaries } from "../../lib/libvirt/virsh.ts";
import { LibvirtUnavailableError } from "../../lib/errors.ts";
import { fakeRunner, useTempDirs } from "../_helpers.ts";
import { fakeLibvirtd, healthy, KEEPALIVE_PROGRAM, packet, truncatedReply, type FakeDaemon } from "./_fake-libvirtd.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

// The domain virsh 9.0 queried in the strace capture below: "prof1", running with id 42.
const PROF1 = { name: "prof1", uuid: hex("3bed800820d14a4da714abcd65b0fdcd"), id: 42 };

describe("socketPath", () => {
  const tempDir = useTempDirs("each");
  const env = { XDG_RUNTIME_DIR: "/run/user/1000" };
  const cases: [string, string | null][] = [
    ["qemu:///system", "/var/run/libvirt/libvirt-sock"],
    ["qemu:///session", "/run/user/1000/libvirt/libvirt-sock"],
    ["qemu+ssh://nohost/system", null],
    ["qemu+unix:///system", null],
    ["qemu://host/system", null],
    ["qemu:///system?socket=/tmp/x", null],
    ["test:///default", null],
    ["lxc:///system", null],
    ["qemu:///embed?root=/tmp/x", null],
  ];

  test.each(cases)("%s → %p", (uri, expected) => {
    expect(socketPath(uri, env)).toBe(expected);
  });

  test("qemu:///session without XDG_RUNTIME_DIR is left to virsh", () => {
    expect(socketPath("qemu:///session", {})).toBeNull();
  });

  test("a socket that is not there leaves the query to virsh, whose error is the one users see", async () => {
    const stderr = "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/x': No such file or directory\n";
    const run = fakeRunner(() => ({ exitCode: 1, stderr }));
    const conn = { uri: "qemu:///system", run, rpcSocket: join(await tempDir(), "libvirt-sock") };
    const error = (await listDomainSummaries(conn).catch((e: unknown) => e)) as LibvirtUnavailableError;
    expect(error).toBeInstanceOf(LibvirtUnavailableError);
    expect([error.message, error.hint]).toEqual(['Cannot connect to libvirt: "qemu:///system"', "start the daemon (systemctl start libvirtd, or libvirtd -d) or pass --connect URI"]);
    expect(run.calls[0]!.argv).toEqual(["virsh", "-c", "qemu:///system", "list", "--all", "--title"]);
  });
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

  test("listDomainsRpc sorts like virsh, trims titles, shows a missing title as empty and gives UUIDs as virsh prints them", async () => {
    const daemon = await start(healthy([
      { ...PROF1, name: "b-off", id: -1, state: 5, title: null },
      { ...PROF1, name: "A-off", id: -1, state: 5, title: "t" },
      { ...PROF1, name: "run-7", id: 7, state: 1, title: "seven" },
      { ...PROF1, name: "run-3", id: 3, state: 3, title: " padded " },
    ]));
    const client = await openRpc(daemon.path, "qemu:///system");
    const uuid = "3bed8008-20d1-4a4d-a714-abcd65b0fdcd"; // PROF1's, in virsh's form
    expect(await listDomainsRpc(client)).toEqual([
      { name: "run-3", uuid, state: "paused", title: "padded" },
      { name: "run-7", uuid, state: "running", title: "seven" },
      { name: "A-off", uuid, state: "shut off", title: "t" },
      { name: "b-off", uuid, state: "shut off", title: "" },
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

describe("RpcClient against a daemon that stalls or sends a lot", () => {
  const tempDir = useTempDirs("each");
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());
  const start = async (handler: Parameters<typeof fakeLibvirtd>[1]) => (fake = fakeLibvirtd(await tempDir(), handler));
  const elapsed = (since: number) => performance.now() - since;

  test("a call the daemon never answers fails after replyMs with an RpcTimeoutError, and closes the client", async () => {
    const daemon = await start(() => "silence");
    const client = await RpcClient.connect(daemon.path, 100);
    const started = performance.now();
    await expect(client.call(Proc.authList)).rejects.toBeInstanceOf(RpcTimeoutError);
    expect(elapsed(started)).toBeGreaterThanOrEqual(90);
    expect(elapsed(started)).toBeLessThan(1000);
    expect(client.closed).toBe(true);
  });

  test("a reply that announces 32 MiB and sends 100 bytes fails after replyMs", async () => {
    const daemon = await start(() => ({ raw: truncatedReply(Proc.authList, 1) }));
    const client = await RpcClient.connect(daemon.path, 100);
    const started = performance.now();
    await expect(client.call(Proc.authList)).rejects.toThrow(/libvirt sent nothing for 100 ms/);
    expect(elapsed(started)).toBeLessThan(1000);
  });

  test("a reply that keeps coming in slow pieces is not cut off, though it takes longer than replyMs", async () => {
    const daemon = await start(() => "silence");
    const client = await RpcClient.connect(daemon.path, 400);
    const started = performance.now();
    const reply = client.call(Proc.domainGetMetadata);
    const whole = packet(Proc.domainGetMetadata, 1, new XdrWriter().string("x".repeat(4000)).bytes());
    const piece = Math.ceil(whole.length / 8);
    for (let at = 0; at < whole.length; at += piece) {
      await Bun.sleep(100);
      daemon.send(whole.subarray(at, at + piece));
    }
    expect((await reply).string()).toBe("x".repeat(4000));
    expect(elapsed(started)).toBeGreaterThan(400);
    client.close();
  });

  test("an idle client is never timed out: the clock runs only while a call is in flight", async () => {
    const daemon = await start(healthy([{ ...PROF1, state: 1, title: null }]));
    const client = await openRpc(daemon.path, "qemu:///system", { replyMs: 50 });
    await Bun.sleep(200);
    expect(client.closed).toBe(false);
    expect(await domainStateRpc(client, "prof1")).toBe("running");
    await Bun.sleep(200);
    expect(client.closed).toBe(false);
    client.close();
  });

  test.each([
    ["AUTH_LIST", Proc.authList],
    ["CONNECT_OPEN", Proc.connectOpen],
  ])("openRpc gives up after openMs when the daemon does not answer %s", async (_name, silentAt) => {
    const base = healthy([]);
    const daemon = await start((proc, args, n) => (proc === silentAt ? "silence" : base(proc, args, n)));
    const started = performance.now();
    // The reply timeout is long: only the handshake's own deadline can end this early.
    const opening = openRpc(daemon.path, "qemu:///system", { openMs: 150, replyMs: 60_000 });
    await expect(opening).rejects.toThrow(/did not open the connection within 150 ms/);
    expect(elapsed(started)).toBeLessThan(1000);
    expect(daemon.calls.at(-1)).toBe(silentAt);
  });

  test("a 32 MiB reply, libvirt's largest, is reassembled and parsed in well under 2 s", async () => {
    // 65536 domains (REMOTE_DOMAIN_LIST_MAX) with 480-byte names: 33030180 bytes in all.
    const count = 65536;
    const one = new XdrWriter().domain({ ...PROF1, name: "n".repeat(480) }).bytes();
    const body = Buffer.concat([new XdrWriter().uint(count).bytes(), ...Array(count).fill(one), new XdrWriter().uint(count).bytes()]);
    const raw = packet(Proc.connectListAllDomains, 1, body); // built before the clock starts
    const daemon = await start(() => ({ raw }));
    const client = await RpcClient.connect(daemon.path);
    const started = performance.now();
    const reply = await client.call(Proc.connectListAllDomains);
    const domains = reply.array(() => reply.domain());
    reply.uint();
    reply.end();
    expect(elapsed(started)).toBeLessThan(2000);
    expect(domains).toHaveLength(count);
    expect(domains.at(-1)).toEqual({ ...PROF1, name: "n".repeat(480) });
    client.close();
  });
});
