// Benchmark of `create --from` (issue 15): create → ready by booting and by forking, for the
// tiny and the Debian image, in one run. Each case (image and network, BENCH_FORK_CASES):
// one template, then BENCH_FORK_ROUNDS rounds of one boot and one fork, alternating; medians
// are compared with the goals (tiny fork ≤ 2 s, Debian fork ≤ 4 s, fork/boot ≤ 0.25).
// "ready" is create's own: an ssh login with the instance's key and pinned host key. On a
// libvirt network a fork waits for DHCP like a boot does (libvirt's dnsmasq pings a new
// address for ~3 s before it offers it); user-mode networking has no such wait. Sizes are
// the templates' on disk.
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh) \
//   TESTCLOUD_DEBIAN_IMAGE=$(bash scripts/images/debian/build.sh) bun scripts/bench-fork.ts
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuCheckCost } from "./_qmp-cpu-check.ts";

const images = { tiny: process.env.TESTCLOUD_TINY_IMAGE, debian: process.env.TESTCLOUD_DEBIAN_IMAGE };
const testNetwork = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const cases = (process.env.BENCH_FORK_CASES ?? `tiny:${testNetwork},tiny:user,debian:${testNetwork}`)
  .split(",")
  .map((c) => c.split(":") as [keyof typeof images, string]);
// Debian boots for minutes under TCG: fewer rounds unless asked.
const rounds = (kind: string) => Number(process.env.BENCH_FORK_ROUNDS ?? (kind === "debian" ? 2 : 3));
const RAM = { tiny: "256", debian: "512" };
const GOAL_MS = { tiny: 2000, debian: 4000 };
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-fork-"));
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };
const tc = async (...args: string[]) => JSON.parse((await $`dist/testcloud --connect qemu:///system ${args} --json`.env(env).quiet()).stdout.toString());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed(args: string[]): Promise<{ ms: number; timings: Record<string, number> }> {
  const t = performance.now();
  const out = await tc(...args);
  const ms = performance.now() - t;
  await tc("remove", "--force", out.name);
  return { ms, timings: out.timings };
}

/**
 * How fast this host hands out fresh memory, in MiB/s: a restore writes every page of the
 * saved state into memory QEMU has never touched, so each one costs a page fault first
 * (in a nested VM, an exit to the outer hypervisor as well).
 */
function freshMemoryRate(mib = 256): number {
  const t = performance.now();
  const buffer = new Uint8Array(mib * 2 ** 20);
  for (let at = 0; at < buffer.length; at += 4096) buffer[at] = 1;
  return mib / ((performance.now() - t) / 1000);
}

/** libvirt's CPU check, paid by every restore before QEMU reads the state: see _qmp-cpu-check.ts. */
async function cpuCheckLine(): Promise<string> {
  const daemon = /daemon: *(\S+)/.exec((await $`virsh -c qemu:///system version --daemon`.quiet().nothrow()).stdout.toString())?.[1] ?? "?";
  const cost = await cpuCheckCost();
  return (
    `host: libvirt ${daemon} checks the CPU of each QEMU it starts, a restore too: ${cost.calls} qom-gets, ` +
    `which QEMU alone answers in ${s(cost.ms)} (${(cost.ms / cost.calls).toFixed(2)} ms each; a bare round trip ${cost.roundTripMs.toFixed(2)} ms)` +
    (cost.hasQomListGet ? "" : "; this QEMU has no qom-list-get, which newer libvirt asks instead, once")
  );
}

const lines: string[] = [`host: first touch of fresh memory ${freshMemoryRate().toFixed(0)} MiB/s (4 KiB pages)`, await cpuCheckLine()];
for (const line of lines.splice(0)) console.log(line);
try {
  for (const [kind, network] of cases) {
    const image = images[kind];
    if (!image) throw new Error(`set TESTCLOUD_${kind.toUpperCase()}_IMAGE (bash scripts/images/${kind}/build.sh)`);
    const label = `${kind} (${network === "user" ? "user-mode" : `network ${network}`})`;
    console.error(`${label}: making the template`);
    const t = performance.now();
    const template = await tc("template", "create", kind, image, "--network", network, "--ram", RAM[kind], "--timeout", "900");
    const templateMs = performance.now() - t;
    const boots: number[] = [];
    const forks: number[] = [];
    let lastFork: Record<string, number> = {};
    for (let round = 1; round <= rounds(kind); round++) {
      console.error(`${label}: round ${round}/${rounds(kind)}`);
      boots.push((await timed(["create", image, "--network", network, "--ram", RAM[kind], "--timeout", "900"])).ms);
      const fork = await timed(["create", "--from", kind, "--timeout", "300"]);
      forks.push(fork.ms);
      lastFork = fork.timings;
    }
    const [boot, fork] = [median(boots), median(forks)];
    lines.push(
      `${label}: template made in ${s(templateMs)}, ${(template.sizeBytes / 2 ** 20).toFixed(1)} MiB on disk (${template.memoryMiB} MiB RAM)`,
      `${label}: boot  create→ready median ${s(boot)} (${boots.map(s).join(", ")})`,
      `${label}: fork  create→ready median ${s(fork)} (${forks.map(s).join(", ")})`,
      `${label}: fork phases (last): ${Object.entries(lastFork).map(([k, v]) => `${k}=${v}`).join(" ")}`,
      `${label}: fork/boot ${(fork / boot).toFixed(3)} (goal ≤ 0.25: ${fork / boot <= 0.25 ? "met" : "NOT met"}); fork ${s(fork)} (goal ≤ ${s(GOAL_MS[kind])}: ${fork <= GOAL_MS[kind] ? "met" : "NOT met"})`,
    );
    await tc("template", "remove", kind);
    for (const line of lines.splice(0)) console.log(line);
  }
} finally {
  for (const line of lines) console.log(line);
  // Whatever a failed round left: its instances, then the templates.
  for (const left of await tc("list").catch(() => [])) await tc("remove", "--force", left.name).catch(() => {});
  for (const left of await tc("template", "list").catch(() => [])) await tc("template", "remove", left.name).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
