import { describe, expect, test } from "bun:test";
import { placeInstance } from "../../lib/instance/place-instance.ts";
import { fakeRunner } from "../_helpers.ts";

const GiB = 2 ** 20; // in KiB, as nodememstats prints
const stats = (totalGiB: number, freeGiB: number) => `total  : ${totalGiB * GiB} KiB\nfree   : ${freeGiB * GiB} KiB\nbuffers: 0 KiB\ncached : 0 KiB\n`;

function fleet(answers: Record<string, string | null>) {
  return fakeRunner((argv) => {
    const answer = answers[argv[argv.indexOf("-c") + 1]!];
    return answer === null ? { exitCode: 1, stderr: "error: failed to connect to the hypervisor" } : { stdout: answer };
  });
}

describe("placeInstance", () => {
  const hosts = { a: "qemu+ssh://a/system", b: "qemu+ssh://b/system", c: "qemu+ssh://c/system" };

  test("takes the host with most free memory, asking each with virsh nodememstats", async () => {
    const run = fleet({ [hosts.a]: stats(16, 4), [hosts.b]: stats(64, 10), [hosts.c]: stats(32, 8) });
    const placed = await placeInstance(hosts, 1024, { overcommitPercent: 100, timeoutMs: 1000, run });
    expect(placed).toMatchObject({ name: "b", uri: hosts.b, freeBytes: 10 * 2 ** 30 });
    expect(run.calls.map((c) => c.argv.at(-1))).toEqual(["nodememstats", "nodememstats", "nodememstats"]);
  });

  test("passes over a host that is down, and one where the instance would exceed the overcommit limit", async () => {
    const run = fleet({ [hosts.a]: null, [hosts.b]: stats(64, 1), [hosts.c]: stats(32, 3) });
    expect((await placeInstance(hosts, 2048, { overcommitPercent: 100, timeoutMs: 1000, run })).name).toBe("c");
    // 63 GiB in use of 64: 2 GiB more is within 110 % but not within 100 %.
    const tight = fleet({ [hosts.a]: null, [hosts.b]: stats(64, 1), [hosts.c]: null });
    await expect(placeInstance(hosts, 2048, { overcommitPercent: 100, timeoutMs: 1000, run: tight })).rejects.toMatchObject({ code: "E_NO_HOST" });
    expect((await placeInstance(hosts, 2048, { overcommitPercent: 110, timeoutMs: 1000, run: tight })).name).toBe("b");
  });

  test("says that no host answered", async () => {
    const run = fleet({ [hosts.a]: null, [hosts.b]: null, [hosts.c]: null });
    await expect(placeInstance(hosts, 256, { overcommitPercent: 100, timeoutMs: 1000, run })).rejects.toThrow("no host answered");
  });
});
