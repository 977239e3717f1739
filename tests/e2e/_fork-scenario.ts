// What templates.test.ts proves for each image: a template, four forks at once that are
// four different machines, and every verb on a fork.
import { expect } from "bun:test";
import { spawnSync } from "node:child_process";
import { cli, NETWORK, uniqueName } from "./_env.ts";

/** Makes template `name` of `image`; returns its `template create --json` document. */
export async function makeTemplate(name: string, image: string, ramMiB: number): Promise<any> {
  const made = await cli(["template", "create", name, image, "--network", NETWORK, "--ram", String(ramMiB), "--timeout", "600", "--json"]);
  expect(made.stderr).toBe("");
  expect(made.exitCode).toBe(0);
  expect(made.json).toMatchObject({ name, reused: false, forks: [] });
  expect(made.json.sizeBytes).toBeGreaterThan(0);
  return made.json;
}

/** Forks `count` instances of `template` at once; each must be ready and say where it came from. */
export async function forkMany(template: string, prefix: string, count: number): Promise<any[]> {
  const names = Array.from({ length: count }, () => uniqueName(prefix));
  const results = await Promise.all(names.map((name) => cli(["create", "--from", template, "--name", name, "--timeout", "300", "--json"])));
  for (const [i, result] of results.entries()) {
    expect({ name: names[i], exitCode: result.exitCode, error: result.json?.error }).toEqual({ name: names[i], exitCode: 0, error: undefined });
    expect(result.json).toMatchObject({ name: names[i], state: "running", forkedFrom: { template } });
  }
  return results.map((r) => r.json);
}

/** What makes a machine itself, read from inside the guest and from outside. */
export async function identity(fork: any) {
  const hostBefore = Date.now() / 1000;
  const inside = await cli(["ssh", fork.name, "--", "hostname; date +%s; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'"]);
  const hostAfter = Date.now() / 1000;
  expect(inside.exitCode).toBe(0);
  const [hostname, clock, random] = inside.stdout.trim().split("\n");
  const scan = spawnSync("ssh-keyscan", ["-t", "ed25519", "-T", "10", fork.ip], { encoding: "utf8" });
  const hostKey = scan.stdout.split("\n").find((l) => l.includes("ssh-ed25519"))?.split(" ")[2];
  // The guest's clock, against the host's at the middle of the ssh round trip; `date +%s` truncates.
  const skewS = Math.abs(Number(clock) + 0.5 - (hostBefore + hostAfter) / 2);
  return { hostname, random, hostKey, ip: fork.ip, skewS, roundTripS: hostAfter - hostBefore };
}

/** Four forks are four machines: names, host keys, addresses and randomness all differ; clocks are right. */
export async function expectDistinct(forks: any[]): Promise<void> {
  const ids = await Promise.all(forks.map(identity));
  expect(ids.map((id) => id.hostname)).toEqual(forks.map((f) => f.name));
  for (const key of ["hostname", "random", "hostKey", "ip"] as const) {
    expect(new Set(ids.map((id) => id[key])).size).toBe(forks.length);
  }
  for (const id of ids) {
    expect(id.hostKey).toBeTruthy();
    expect(id.skewS).toBeLessThanOrEqual(2 + id.roundTripS / 2);
  }
}

/** ssh, stop, start, reboot and remove on a fork; it keeps its name and host key through them. */
export async function verbsOnFork(fork: any): Promise<void> {
  const { name } = fork;
  const info = await cli(["info", name, "--json"]);
  expect(info.json).toMatchObject({ name, state: "running", forkedFrom: { template: fork.forkedFrom.template } });
  expect((await cli(["stop", name, "--json"])).json).toMatchObject({ name, state: "shut off", changed: true });
  const started = await cli(["start", name, "--timeout", "300", "--json"]);
  expect(started.exitCode).toBe(0);
  expect((await cli(["ssh", name, "--", "hostname"])).stdout.trim()).toBe(name);
  const bootId = (await cli(["ssh", name, "--", "cat", "/proc/sys/kernel/random/boot_id"])).stdout;
  const rebooted = await cli(["reboot", name, "--timeout", "300", "--json"]);
  expect(rebooted.exitCode).toBe(0);
  const after = await cli(["ssh", name, "--", "hostname; cat /proc/sys/kernel/random/boot_id"]);
  expect(after.exitCode).toBe(0);
  expect(after.stdout.split("\n")[0]).toBe(name);
  expect(after.stdout).not.toContain(bootId.trim());
  expect((await cli(["remove", "--force", name, "--json"])).json).toMatchObject({ name, removedDomain: true, removedFiles: true });
}

/**
 * A fork in user-mode networking (of a template made on a libvirt network) takes QEMU's one
 * address without DHCP: it is ready, named, and has its route and resolver.
 */
export async function userModeFork(template: string, prefix: string): Promise<void> {
  const name = uniqueName(prefix);
  const made = await cli(["create", "--from", template, "--name", name, "--network", "user", "--timeout", "300", "--json"]);
  expect({ exitCode: made.exitCode, error: made.json?.error }).toEqual({ exitCode: 0, error: undefined });
  const inside = await cli(["ssh", name, "--", "hostname; ip -4 addr show; ip route; cat /etc/resolv.conf; resolvectl dns 2>/dev/null; true"]);
  expect(inside.stdout.split("\n")[0]).toBe(name);
  expect(inside.stdout).toContain("inet 10.0.2.15/24");
  expect(inside.stdout).toMatch(/default via 10\.0\.2\.2/);
  expect(inside.stdout).toMatch(/10\.0\.2\.3/);
  expect((await cli(["remove", "--force", name, "--json"])).exitCode).toBe(0);
}
