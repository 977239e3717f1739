import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { allocatePort } from "../../lib/instance/allocate-port.ts";

/** The kernel's ephemeral port range, where port 0 binds land. */
function ephemeralRange(): [number, number] {
  const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  return [low!, high!];
}

/** True when a listener can bind the port on 127.0.0.1 right now. */
function bindable(port: number): boolean {
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

describe("allocatePort", () => {
  test("returns a port that can be bound on 127.0.0.1", () => {
    const port = allocatePort();
    expect(port).toBeGreaterThan(1023);
    expect(port).toBeLessThan(65536);
    expect(bindable(port)).toBe(true);
  });

  test("never returns a port from the taken set", () => {
    // Half of the ephemeral range is taken: a port the kernel offers from it must be skipped.
    const [low, high] = ephemeralRange();
    const taken = new Set<number>();
    for (let port = low; port <= high; port++) if (port % 2 === 0) taken.add(port);
    for (let i = 0; i < 20; i++) {
      const port = allocatePort(taken);
      expect(port % 2).toBe(1);
      expect(bindable(port)).toBe(true);
    }
  });

  test("fails when every port the kernel offers is taken", () => {
    const [low, high] = ephemeralRange();
    const taken = new Set<number>();
    for (let port = low; port <= high; port++) taken.add(port);
    expect(() => allocatePort(taken)).toThrow("no free port");
  });
});
