// Benchmarks of the instance lifecycle (issue 4): tool overhead of `create`,
// `list --json` latency with 0 and 20 instances, and 8 concurrent creates.
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh) bun scripts/bench-lifecycle.ts
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const image = process.env.TESTCLOUD_TINY_IMAGE;
if (!image) throw new Error("set TESTCLOUD_TINY_IMAGE (bash scripts/images/tiny/build.sh)");
const network = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-"));
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };
const tc = (...args: string[]) => $`dist/testcloud ${args}`.env(env).quiet().nothrow();
const rows: [string, string][] = [];
const row = (what: string, value: string) => {
  rows.push([what, value]);
  console.error(`${what}: ${value}`);
};

/** create with a watcher that notes when the guest's "sshd ready" marker reaches the console log. */
async function overheadRun(name: string) {
  const log = join(dataDir, "instances", name, "console.log");
  let sshdSeen = 0;
  const t0 = performance.now();
  const watcher = (async () => {
    while (!sshdSeen && performance.now() - t0 < 300_000) {
      const file = Bun.file(log);
      if ((await file.exists()) && (await file.text()).includes("TESTCLOUD-TINY: sshd ready")) sshdSeen = performance.now();
      else await Bun.sleep(10);
    }
  })();
  const out = await tc("create", image!, "--name", name, "--network", network, "--ram", "256", "--json");
  const wall = performance.now() - t0;
  await watcher;
  const t = JSON.parse(out.stdout.toString()).timings as Record<string, number>;
  // overlay, seed and define run side by side: the longest of them counts.
  const started = t0 + t.check! + t.image! + Math.max(t.overlay!, t.seed!, t.machine ?? 0, t.define!) + t.start!;
  const guest = sshdSeen - started;
  // For scale: the same login by plain ssh, once the guest is up (guest-side crypto under TCG).
  const login = await plainLogin(name);
  await tc("remove", "--force", name);
  return { wall, guest, overhead: wall - guest, before: started - t0, after: wall - (sshdSeen - t0), virshStart: t.start!, login };
}

/** Median wall time of `ssh -F <ssh-config> HOST true` against a ready instance. */
async function plainLogin(name: string): Promise<number> {
  const config = join(dataDir, `${name}.ssh-config`);
  await Bun.write(config, (await tc("ssh-config", name)).stdout);
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await $`ssh -F ${config} testcloud-${name} true`.quiet().nothrow();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Warm the image cache first so the runs measure the tool, not the first import.
await tc("create", image, "--name", "bench-warm", "--network", network, "--dry-run");
await tc("image", "pull", image);
const runs: Awaited<ReturnType<typeof overheadRun>>[] = [];
for (let i = 0; i < 5; i++) runs.push(await overheadRun(`bench-oh-${i}`));
for (const [i, r] of runs.entries()) {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  row(`create run ${i + 1}: wall / guest start→sshd / overhead`, `${s(r.wall)} / ${s(r.guest)} / ${s(r.overhead)} (before start ${s(r.before)} incl. virsh start ${s(r.virshStart)}, after sshd ${s(r.after)}; plain ssh login ${s(r.login)})`);
}
const m = (pick: (r: (typeof runs)[number]) => number) => `${(median(runs.map(pick)) / 1000).toFixed(2)} s`;
row("create tool overhead, median of 5", m((r) => r.overhead));
row("  of which libvirt's `virsh start` (QEMU launch), median", m((r) => r.virshStart));
row("  overhead without `virsh start`, median", m((r) => r.overhead - r.virshStart));

async function listMedian(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await tc("list", "--json");
    samples.push(performance.now() - t);
  }
  return median(samples);
}
row("list --json, 0 instances, median of 20", `${(await listMedian()).toFixed(1)} ms`);

const t8 = performance.now();
const eight = await Promise.all(
  Array.from({ length: 8 }, (_, i) => tc("create", image, "--name", `bench-par-${i}`, "--network", i % 2 ? "user" : network, "--ram", "192", "--vcpus", "1", "--timeout", "900", "--json")),
);
row("8 concurrent creates: exit codes", eight.map((r) => r.exitCode).join(","));
row("8 concurrent creates: wall until all ssh-ready", `${((performance.now() - t8) / 1000).toFixed(1)} s`);
const ports = eight.map((r) => JSON.parse(r.stdout.toString())).map((j) => `${j.ip}:${j.sshPort}`);
row("8 concurrent creates: distinct addresses", `${new Set(ports).size} of 8`);

// 20 instances for list: the 8 above plus 12 more, all stopped so TCG load does not skew the timing.
for (let i = 0; i < 12; i++) await tc("create", image, "--name", `bench-list-${i}`, "--network", network, "--ram", "128", "--no-wait");
for (const r of (JSON.parse((await tc("list", "--json")).stdout.toString()) as { name: string }[])) await tc("stop", r.name);
row("list --json, 20 instances (stopped), median of 20", `${(await listMedian()).toFixed(1)} ms`);
for (const r of (JSON.parse((await tc("list", "--json")).stdout.toString()) as { name: string }[])) await tc("remove", "--force", r.name);
rmSync(dataDir, { recursive: true, force: true });
for (const [what, value] of rows) console.log(`${what.padEnd(58)} ${value}`);
