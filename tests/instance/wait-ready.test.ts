import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunResult, Runner } from "../../lib/host/run.ts";
import { instancePaths, type InstanceRecord } from "../../lib/instance/state.ts";
import { waitReady } from "../../lib/instance/wait-ready.ts";
import type { Virsh } from "../../lib/libvirt/virsh.ts";
import { testMachine } from "../_machine.ts";

const UUID = "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607";

/** virsh says the domain runs; ssh logs in (and notes when). */
function fakeRun(loginsAt: number[]): Runner {
  return async (argv) => {
    const result: RunResult = { argv, exitCode: 0, stdout: "", stderr: "" };
    if (argv[0] === "virsh") return { ...result, stdout: `Id: 1\nName: tiny\nUUID: ${UUID}\nState: running\n` };
    loginsAt.push(performance.now());
    return { ...result, stderr: "Authenticated to 127.0.0.1 ([127.0.0.1]:22) using \"publickey\".\n", stopped: true };
  };
}

/** An ssh server on a local port that notes when each connection came. */
async function sshServer(): Promise<{ port: number; connectedAt: number[]; close: () => void }> {
  const connectedAt: number[] = [];
  const s: Server = createServer((c) => {
    connectedAt.push(performance.now());
    c.write("SSH-2.0-OpenSSH_9.2\r\n");
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as { port: number }).port, connectedAt, close: () => s.close() };
}

async function scenario(gate: (dir: string) => { open: () => Promise<boolean>; withinMs: number }) {
  const dir = mkdtempSync(join(tmpdir(), "tc-wait-"));
  const server = await sshServer();
  try {
    const paths = instancePaths(dir, "tiny");
    const machine = testMachine({ nics: [{ network: "user", mac: "52:54:00:aa:bb:cc", sshPort: server.port }] });
    const image = { source: "file:///tiny.qcow2", digest: "ab12", path: "/tiny.qcow2" };
    const record: InstanceRecord = { name: "tiny", uri: "qemu:///system", createdAt: "2026-12-05T00:00:00.000Z", user: "cloud-user", image, machine, uuid: UUID };
    const loginsAt: number[] = [];
    const conn: Virsh = { uri: "qemu:///system", run: fakeRun(loginsAt), rpcSocket: null };
    const started = performance.now();
    const ready = await waitReady(conn, record, paths, { timeoutMs: 10_000, run: fakeRun(loginsAt), gate: gate(dir) });
    return { ready, started, connectedAt: server.connectedAt, loginsAt, done: performance.now() };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("waitReady", () => {
  test("with a gate, tries no ssh before the gate opens, then logs in at once, without a banner check", async () => {
    const t0 = performance.now();
    let openedAt = Infinity;
    const { ready, connectedAt, loginsAt } = await scenario(() => ({
      open: async () => {
        if (openedAt === Infinity && performance.now() - t0 > 300) openedAt = performance.now();
        return openedAt !== Infinity;
      },
      withinMs: 5000,
    }));
    expect(ready.ip).toBe("127.0.0.1");
    expect(connectedAt).toEqual([]);
    expect(loginsAt.length).toBe(1);
    expect(loginsAt[0]).toBeGreaterThanOrEqual(openedAt);
  });

  test("a gate that never opens holds ssh back only for its time", async () => {
    const { ready, started, connectedAt, loginsAt, done } = await scenario(() => ({ open: async () => false, withinMs: 300 }));
    expect(ready.ip).toBe("127.0.0.1");
    // Then as without a gate: the banner first, the login once it came.
    expect(connectedAt.length).toBeGreaterThan(0);
    expect(Math.min(...connectedAt) - started).toBeGreaterThanOrEqual(300);
    expect(loginsAt[0]).toBeGreaterThanOrEqual(Math.min(...connectedAt));
    expect(done - started).toBeLessThan(3000);
  });
});
