// Working in an instance over the network: outbound access in user mode (the host is
// 10.0.2.2), --isolated, and host ports forwarded to guest services.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../_helpers.ts";
import { cli, testImage, uniqueName } from "./_env.ts";

// Servers on the host's loopback only: a user-mode guest reaches them as 10.0.2.2. The HTTP
// one is for the Debian guest; the tiny guest reads the bare TCP one with busybox nc, which
// half-closes as its stdin ends: that server sends its payload as a client connects and
// closes, so what nc gets depends on no HTTP server's handling of a half-closed request.
const payload = `payload-${crypto.randomUUID()}`;
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(payload) });
const tcp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (socket) => void socket.end(payload), data() {} } });
afterAll(() => {
  server.stop(true);
  tcp.stop(true);
});

// Each step is bounded well within the test's timeout, so a hang fails with what it printed.
const ssh = async (name: string, script: string) => {
  const r = await cli(["ssh", name, "--", script], {}, { killAfterMs: 60_000 });
  return { code: r.exitCode, out: r.stdout.trim(), err: r.stderr.trim() };
};

describe("user-mode networking on the tiny image", () => {
  test("a guest reaches the host's loopback at 10.0.2.2; an --isolated one reaches nothing", async () => {
    const open = uniqueName("outbound");
    const closed = uniqueName("isolated");
    // --timeout: a guest that does not come up fails create with its console's last lines.
    const create = (name: string, ...more: string[]) =>
      cli(["create", testImage("tiny"), "--name", name, "--network", "user", "--ram", "256", "--timeout", "150", ...more, "--json"]);
    const [a, b] = await Promise.all([create(open), create(closed, "--isolated")]);
    // A failed create shows its error document.
    expect([a, b].map((r) => (r.exitCode === 0 ? 0 : r.stdout || r.stderr))).toEqual([0, 0]);
    expect([a.json.machine.isolated, b.json.machine.isolated]).toEqual([false, true]);
    // (The tiny image's static wget cannot resolve, so busybox nc reads the payload.)
    const get = `timeout 30 nc -w 10 10.0.2.2 ${tcp.port} </dev/null`;
    const fetched = await ssh(open, get);
    expect(fetched).toMatchObject({ code: 0, out: payload });
    const blocked = await ssh(closed, get);
    expect(blocked.code).not.toBe(0);
    expect(blocked.out).not.toContain(payload);
    // ssh still works on both: it is a forward, which --isolated keeps.
    for (const name of [open, closed]) expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
  }, 300_000);

  test("--forward reaches a service in the guest; forward --add and --remove change a running instance at once", async () => {
    const name = uniqueName("forward");
    const created = await cli(["create", testImage("tiny"), "--name", name, "--network", "user", "--ram", "256", "--forward", "0:8080", "--json"]);
    expect(created.exitCode).toBe(0);
    const [forward] = created.json.machine.forwards;
    expect(forward).toMatchObject({ proto: "tcp", hostAddr: "127.0.0.1", guestPort: 8080 });
    expect(forward.hostPort).toBeGreaterThan(0);
    // busybox httpd serves a page from the guest on 8080 and 8081.
    expect((await ssh(name, "mkdir -p /tmp/www && echo from-the-guest > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && httpd -p 8081 -h /tmp/www")).code).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${forward.hostPort}/`)).text()).toBe("from-the-guest\n");

    const added = await cli(["forward", name, "--add", "0:8081", "--json"]);
    expect(added.json).toMatchObject({ name, live: true });
    const second = added.json.forwards.find((f: { guestPort: number }) => f.guestPort === 8081);
    expect(await (await fetch(`http://127.0.0.1:${second.hostPort}/`)).text()).toBe("from-the-guest\n");
    const info = await cli(["info", name, "--json"]);
    expect(info.json.machine.forwards).toHaveLength(2);

    const removed = await cli(["forward", name, "--remove", `127.0.0.1:${second.hostPort}:8081`, "--json"]);
    expect(removed.json.forwards).toHaveLength(1);
    await expect(fetch(`http://127.0.0.1:${second.hostPort}/`)).rejects.toThrow();
    // The forwards are part of the instance: they come back after a stop and start.
    expect((await cli(["stop", name])).exitCode).toBe(0);
    expect((await cli(["start", name, "--json"])).exitCode).toBe(0);
    expect((await ssh(name, "mkdir -p /tmp/www && echo again > /tmp/www/index.html && httpd -p 8080 -h /tmp/www")).code).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${forward.hostPort}/`)).text()).toBe("again\n");
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
  }, 240_000);
});

describe("user-mode networking on the Debian image (real cloud-init)", () => {
  test("a #cloud-config runcmd fetches from the host's HTTP server", async () => {
    const name = uniqueName("debfetch");
    const dir = scratchDir("tce2e-net-");
    const userData = join(dir, "user-data.yaml");
    const fetchCmd = `import urllib.request; open('/run/fetched', 'w').write(urllib.request.urlopen('http://10.0.2.2:${server.port}/').read().decode())`;
    writeFileSync(userData, `#cloud-config\nruncmd:\n  - [python3, -c, "${fetchCmd}"]\n`);
    const created = await cli(["create", testImage("debian"), "--name", name, "--network", "user", "--user-data", userData, "--wait", "cloud-init", "--timeout", "900", "--json"]);
    expect({ exitCode: created.exitCode, error: created.json?.error }).toEqual({ exitCode: 0, error: undefined });
    expect((await ssh(name, "cat /run/fetched")).out).toBe(payload);
    expect((await cli(["remove", "--force", name])).exitCode).toBe(0);
  }, 900_000);
});
