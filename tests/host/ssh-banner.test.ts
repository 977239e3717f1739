import { describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { sshBanner } from "../../lib/host/ssh-banner.ts";

/** A local TCP server that greets each connection with `greeting` (or says nothing). */
async function server(greeting: string | null): Promise<{ port: number; close: () => void }> {
  const s: Server = createServer((c) => {
    if (greeting !== null) c.write(greeting);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as { port: number }).port, close: () => s.close() };
}

/**
 * QEMU's user-mode forward as a guest without its address yet sees it: the first connection
 * stays silent (its SYN was lost), every later one is greeted.
 */
async function silentFirst(): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const s: Server = createServer((c) => {
    if (++connections > 1) c.write("SSH-2.0-dropbear\r\n");
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as { port: number }).port, connections: () => connections, close: () => s.close() };
}

describe("sshBanner", () => {
  test("sees an SSH server's greeting", async () => {
    const s = await server("SSH-2.0-dropbear\r\n");
    expect(await sshBanner("127.0.0.1", s.port)).toBe("ssh");
    s.close();
  });

  test("something else listening is not ssh", async () => {
    const s = await server("HTTP/1.1 400 Bad Request\r\n\r\n");
    expect(await sshBanner("127.0.0.1", s.port)).toBe("not-ssh");
    s.close();
  });

  test("a server that accepts and stays silent is not ssh once the banner time is up", async () => {
    const s = await server(null);
    const started = performance.now();
    expect(await sshBanner("127.0.0.1", s.port, { bannerTimeoutMs: 200 })).toBe("not-ssh");
    expect(performance.now() - started).toBeLessThan(2000);
    s.close();
  });

  test("a refused connection is not ssh, at once", async () => {
    const s = await server(null);
    const port = s.port;
    s.close();
    await Bun.sleep(50);
    expect(await sshBanner("127.0.0.1", port)).toBe("not-ssh");
  });

  test("with retryEveryMs, a later connection's greeting counts while the first stays silent", async () => {
    const s = await silentFirst();
    const started = performance.now();
    expect(await sshBanner("127.0.0.1", s.port, { bannerTimeoutMs: 5000, retryEveryMs: 50 })).toBe("ssh");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(s.connections()).toBeGreaterThan(1);
    s.close();
  });

  test("without retryEveryMs, a silent first connection is all there is", async () => {
    const s = await silentFirst();
    expect(await sshBanner("127.0.0.1", s.port, { bannerTimeoutMs: 300 })).toBe("not-ssh");
    expect(s.connections()).toBe(1);
    s.close();
  });

  test("with connectIsEnough, a finished handshake counts without a greeting", async () => {
    const s = await server(null);
    const started = performance.now();
    expect(await sshBanner("127.0.0.1", s.port, { connectIsEnough: true })).toBe("ssh");
    expect(performance.now() - started).toBeLessThan(1000);
    s.close();
  });
});
