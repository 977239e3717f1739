import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NotFoundError, LibvirtUnavailableError } from "../../lib/errors.ts";
import { run } from "../../lib/host/run.ts";
import { openRpc } from "../../lib/libvirt/_rpc-client.ts";
import { Proc, XdrWriter } from "../../lib/libvirt/_xdr.ts";
import { domainStateRpc, listDomainsRpc, networkActiveRpc, networkLeasesRpc, stateName } from "../../lib/libvirt/rpc.ts";
import { connect, domainState, listDomainSummaries, type Virsh } from "../../lib/libvirt/virsh.ts";
import { networkActive, networkLeases } from "../../lib/libvirt/virsh-network.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";
import { fakeLibvirtd, healthy, truncatedReply, type FakeDaemon, type Handler } from "./_fake-libvirtd.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

// The domain virsh 9.0 queried in the strace capture below: "prof1", running with id 42.
const PROF1 = { name: "prof1", uuid: hex("3bed800820d14a4da714abcd65b0fdcd"), id: 42 };

test("stateName gives virsh's words for every virDomainState", () => {
  const words = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1].map(stateName);
  expect(words).toEqual(["no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended", "no state", "no state"]);
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
    const uuid = "3bed8008-20d1-4a4d-a714-abcd65b0fdcd";
    expect(await listDomainSummaries(through(fake.path))).toEqual([{ name: NOSUCH, uuid, state: "running", title: "fake" }]);
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

  // The fake knows NOSUCH, the real daemon does not: a result without it came from virsh.
  const base = healthy([{ ...PROF1, name: NOSUCH, state: 1, title: null }]);
  const stalls: [string, Handler][] = [
    ["accepts and says nothing", () => "silence"],
    ["opens, then leaves the query unanswered", (proc, args, n) => (proc === Proc.connectListAllDomains || proc === Proc.domainLookupByName ? "silence" : base(proc, args, n))],
    ["announces a 32 MiB reply and sends 100 bytes", (proc, args, n) =>
      proc === Proc.connectListAllDomains || proc === Proc.domainLookupByName ? { raw: truncatedReply(proc, 3) } : base(proc, args, n)],
  ];

  test.each(stalls)("a daemon that %s: the queries answer from virsh within the timeout", async (_name, handler) => {
    fake = fakeLibvirtd(await tempDir(), handler);
    const conn: Virsh = { ...through(fake.path), rpcTimeouts: { openMs: 300, replyMs: 300 } };
    const started = performance.now();
    expect((await listDomainSummaries(conn)).map((row) => row.name)).not.toContain(NOSUCH);
    expect(performance.now() - started).toBeLessThan(300 + 2000); // the timeout, then virsh
    // The handle gave up on RPC: the next query neither reconnects nor asks the daemon.
    const calls = fake.calls.length;
    expect(await domainState(conn, NOSUCH)).toBeNull();
    expect([fake.connections, fake.calls.length]).toEqual([1, calls]);
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
  const uuids = { [titled]: crypto.randomUUID(), [untitled]: crypto.randomUUID() };
  const domainXml = (name: string, title: string) =>
    `<domain type='qemu'><name>${name}</name><uuid>${uuids[name]}</uuid>${title}<memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`;

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

  test("listDomainSummaries: same rows, UUIDs, states, titles and order as virsh", async () => {
    // Other VMs on this host come and go: compare the rows that virsh shows the same before and after.
    const before = await listDomainSummaries(viaVirsh());
    const fast = await listDomainSummaries(connect(URI));
    const after = await listDomainSummaries(viaVirsh());
    const stable = before.filter((row) => after.some((other) => Bun.deepEquals(row, other)));
    const key = (r: { name: string }) => r.name;
    expect(fast.filter((row) => stable.some((s) => s.name === row.name))).toEqual(stable);
    for (const row of fast) expect([...before, ...after].map(key)).toContain(row.name);
    expect(fast).toContainEqual({ name: titled, uuid: uuids[titled]!, state: "paused", title: "testcloud rpc test" });
    expect(fast).toContainEqual({ name: untitled, uuid: uuids[untitled]!, state: "shut off", title: "" });
    expect(before).toContainEqual({ name: untitled, uuid: uuids[untitled]!, state: "shut off", title: "" });
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
