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

  test("with connectIsEnough, a finished handshake counts without a greeting", async () => {
    const s = await server(null);
    const started = performance.now();
    expect(await sshBanner("127.0.0.1", s.port, { connectIsEnough: true })).toBe("ssh");
    expect(performance.now() - started).toBeLessThan(1000);
    s.close();
  });
});
