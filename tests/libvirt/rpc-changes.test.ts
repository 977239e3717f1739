import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LibvirtUnavailableError, NotFoundError, TimeoutError, ToolError } from "../../lib/errors.ts";
import type { Runner } from "../../lib/host/run.ts";
import { openRpc, RpcTimeoutError } from "../../lib/libvirt/_rpc-client.ts";
import { restoreRpc } from "../../lib/libvirt/_rpc-changes.ts";
import { Proc, QEMU_PROGRAM, XdrWriter } from "../../lib/libvirt/_xdr.ts";
import { attachDevice, restoreDomainFrom } from "../../lib/libvirt/virsh-save.ts";
import { connect, defineDomain, monitorCommand, type Virsh } from "../../lib/libvirt/virsh.ts";
import { useTempDirs } from "../_helpers.ts";
import { fakeLibvirtd, healthy, PROGRAM, type FakeDaemon, type Handler } from "./_fake-libvirtd.ts";

const URI = "qemu:///system";
const UUID = "3bed8008-20d1-4a4d-a714-abcd65b0fdcd";
const DOM = { name: "fork1", uuid: Uint8Array.from(Buffer.from(UUID.replaceAll("-", ""), "hex")), id: 7, state: 1, title: null };

// The changes take the fast path unless the caller's environment turns it off.
const savedSwitch = process.env.TESTCLOUD_LIBVIRT_RPC;
beforeAll(() => void delete process.env.TESTCLOUD_LIBVIRT_RPC);
afterAll(() => {
  if (savedSwitch !== undefined) process.env.TESTCLOUD_LIBVIRT_RPC = savedSwitch;
});

describe("changes over RPC", () => {
  const tempDir = useTempDirs("each");
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());
  const seen: string[] = [];
  /** Every virsh the handle would spawn: none, when the fast path works or failed after sending. */
  const spawned: string[][] = [];
  const noVirsh: Runner = async (argv) => {
    spawned.push(argv);
    return { argv, exitCode: 0, stdout: "", stderr: "" };
  };
  const through = (path: string): Virsh => ({ ...connect(URI, noVirsh), rpcSocket: path });
  afterEach(() => {
    seen.length = 0;
    spawned.length = 0;
  });

  /** `healthy` plus the changes, recording what each received. */
  function daemon(overrides: Partial<Record<number, Handler>> = {}): Handler {
    const base = healthy([DOM]);
    return (proc, args, n, program) => {
      const override = overrides[proc];
      if (override) return override(proc, args, n, program);
      if (program === QEMU_PROGRAM && proc === 1) {
        const dom = args.domain();
        seen.push(`monitor ${dom.name} ${args.string()} flags=${args.uint()}`);
        return new XdrWriter().string("out\r\n").bytes();
      }
      switch (proc) {
        case Proc.domainRestore:
          seen.push(`restore ${args.string()}`);
          return new Uint8Array();
        case Proc.domainDefineXml:
          seen.push(`define ${args.string()}`);
          return new XdrWriter().domain(DOM).bytes();
        case Proc.domainAttachDeviceFlags: {
          const dom = args.domain();
          seen.push(`attach ${dom.name} ${args.string()} flags=${args.uint()}`);
          return new Uint8Array();
        }
      }
      return base(proc, args, n, program);
    };
  }

  test("restore, define, attach and a monitor command each go as one call, no virsh", async () => {
    const dir = await tempDir();
    fake = fakeLibvirtd(dir, daemon());
    const conn = through(fake.path);
    await writeFile(join(dir, "domain.xml"), "<domain/>");
    await writeFile(join(dir, "nic.xml"), "<interface/>");
    await restoreDomainFrom(conn, "/some/fifo", 10_000);
    await defineDomain(conn, join(dir, "domain.xml"));
    await attachDevice(conn, UUID, join(dir, "nic.xml"));
    expect(await monitorCommand(conn, UUID, "info network")).toBe("out");
    expect(seen).toEqual(["restore /some/fifo", "define <domain/>", "attach fork1 <interface/> flags=1", "monitor fork1 info network flags=1"]);
    expect(spawned).toEqual([]);
    // The monitor command went to libvirt-qemu's program, the rest to the main one.
    expect(fake.programs.filter((p) => p === QEMU_PROGRAM)).toHaveLength(1);
    expect(fake.programs.filter((p) => p !== PROGRAM && p !== QEMU_PROGRAM)).toEqual([]);
  });

  test("a restore may be silent for longer than a query may: its own wait counts", async () => {
    fake = fakeLibvirtd(await tempDir(), daemon({ [Proc.domainRestore]: () => ({ delayMs: 400, answer: new Uint8Array() }) }));
    const client = await openRpc(fake.path, URI, { replyMs: 100 });
    await restoreRpc(client, "/some/fifo", 2_000); // 400 ms of silence: past the client's 100, within the call's 2000
    expect(client.closed).toBe(false);
    client.close();
  });

  test("new calls to a silent daemon do not put off the wait that started with the first", async () => {
    fake = fakeLibvirtd(await tempDir(), daemon({ [Proc.domainDefineXml]: () => "silence" }));
    const client = await openRpc(fake.path, URI, { replyMs: 300 });
    const started = performance.now();
    let settledAt = 0;
    const first = client.call(Proc.domainDefineXml, new XdrWriter().string("<domain/>").bytes()).catch((e: unknown) => {
      settledAt = performance.now();
      return e;
    });
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(100);
      client.call(Proc.domainDefineXml, new XdrWriter().string("<domain/>").bytes()).catch(() => {});
    }
    expect(await first).toBeInstanceOf(RpcTimeoutError);
    // 300 ms from the first call, not from the last one (made at 400 ms).
    expect(settledAt - started).toBeLessThan(390);
  });

  test("a restore that stays silent past its wait is a TimeoutError, not retried through virsh", async () => {
    fake = fakeLibvirtd(await tempDir(), daemon({ [Proc.domainRestore]: () => "silence" }));
    await expect(restoreDomainFrom(through(fake.path), "/some/fifo", 300)).rejects.toBeInstanceOf(TimeoutError);
    expect(spawned).toEqual([]);
  });

  test("the daemon's error becomes virsh's error, and nothing is retried", async () => {
    const failing = () => ({ error: 1, message: "internal error: qemu unexpectedly closed the monitor" });
    fake = fakeLibvirtd(await tempDir(), daemon({ [Proc.domainRestore]: failing }));
    const error = await restoreDomainFrom(through(fake.path), "/some/fifo", 1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).message).toContain("qemu unexpectedly closed the monitor");
    expect((error as ToolError).argv).toEqual(["virsh", "-q", "-c", URI, "restore", "/some/fifo"]);
    expect(spawned).toEqual([]);
  });

  test("a domain that is gone is a NotFoundError; a daemon that hangs up, LibvirtUnavailableError", async () => {
    fake = fakeLibvirtd(await tempDir(), daemon({ [Proc.domainRestore]: () => "hang up" }));
    const conn = through(fake.path);
    const gone = "00000000-0000-4000-8000-000000000000";
    await expect(monitorCommand(conn, gone, "info network")).rejects.toBeInstanceOf(NotFoundError);
    await expect(restoreDomainFrom(conn, "/some/fifo", 1_000)).rejects.toBeInstanceOf(LibvirtUnavailableError);
    // The next change opens a new connection.
    expect(await monitorCommand(conn, UUID, "info network")).toBe("out");
    expect(fake.connections).toBe(2);
    expect(spawned).toEqual([]);
  });

  test("without a connection nothing was sent: virsh makes the change", async () => {
    const dir = await tempDir();
    const conn = through(join(dir, "no-such-socket"));
    await restoreDomainFrom(conn, "/some/fifo", 1_000);
    expect(await monitorCommand(conn, UUID, "info network")).toBe("");
    expect(spawned).toEqual([
      ["virsh", "-q", "-c", URI, "restore", "/some/fifo"],
      ["virsh", "-q", "-c", URI, "qemu-monitor-command", UUID, "--hmp", "info network"],
    ]);
  });
});
