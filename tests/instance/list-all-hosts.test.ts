import { describe, expect, test } from "bun:test";
import { fleet, listAllHosts } from "../../lib/instance/list-all-hosts.ts";
import type { Runner } from "../../lib/host/run.ts";
import { scratchDir } from "../_helpers.ts";

const dataDir = scratchDir("tc-fleet-");

describe("listAllHosts", () => {
  test("a host that never answers is reported down after its timeout, the others' answers are kept", async () => {
    const run: Runner = async (argv, options) => {
      if (argv.includes("qemu+ssh://mute/system")) return new Promise(() => {}); // never settles
      if (argv.includes("qemu+ssh://broken/system")) return { argv, exitCode: 1, stdout: "", stderr: "error: failed to connect to the hypervisor" };
      // virsh list without -q: a header, then nothing.
      const stdout = argv.includes("--title") ? " Id   Name   State   Title\n---------------------------\n" : "";
      void options;
      return { argv, exitCode: 0, stdout, stderr: "" };
    };
    const started = performance.now();
    const list = await listAllHosts({ up: "qemu+ssh://up/system", mute: "qemu+ssh://mute/system", broken: "qemu+ssh://broken/system" }, dataDir, { timeoutMs: 300, run });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(list.hosts).toEqual([
      { name: "up", uri: "qemu+ssh://up/system", up: true, error: null, ms: expect.any(Number) },
      { name: "mute", uri: "qemu+ssh://mute/system", up: false, error: "no answer within 0 s", ms: expect.any(Number) },
      { name: "broken", uri: "qemu+ssh://broken/system", up: false, error: expect.stringContaining("Cannot connect to libvirt"), ms: expect.any(Number) },
    ]);
  });

  test("gives each virsh call what is left of its host's time, so a hung one is killed", async () => {
    const seen: (number | undefined)[] = [];
    const run: Runner = async (argv, options) => {
      seen.push(options?.timeoutMs);
      return { argv, exitCode: 0, stdout: "", stderr: "" };
    };
    await listAllHosts({ a: "qemu+ssh://a/system" }, dataDir, { timeoutMs: 5000, run });
    expect(seen.length).toBeGreaterThan(0);
    for (const ms of seen) expect(ms).toBeGreaterThan(4000);
  });

  test("fleet adds the default connection unless a host names it", () => {
    expect(fleet({ lab: "qemu+ssh://lab/system" }, "qemu:///system")).toEqual({ default: "qemu:///system", lab: "qemu+ssh://lab/system" });
    expect(fleet({ here: "qemu:///system" }, "qemu:///system")).toEqual({ here: "qemu:///system" });
  });
});
