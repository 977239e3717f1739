// Benchmark of `create --from` (issue 15): create → ready by booting and by forking, for the
// tiny and the Debian image, in one run. Each image: one template, then BENCH_FORK_ROUNDS
// rounds of one boot and one fork, alternating; medians are compared with the goals
// (tiny fork ≤ 2 s, Debian fork ≤ 4 s, fork/boot ≤ 0.25). "ready" is create's own: an ssh
// login with the instance's key and pinned host key. Sizes are the templates' on disk.
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh) \
//   TESTCLOUD_DEBIAN_IMAGE=$(bash scripts/images/debian/build.sh) bun scripts/bench-fork.ts
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const images = { tiny: process.env.TESTCLOUD_TINY_IMAGE, debian: process.env.TESTCLOUD_DEBIAN_IMAGE };
const only = (process.env.BENCH_FORK_IMAGES ?? "tiny,debian").split(",") as (keyof typeof images)[];
const network = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const ROUNDS = Number(process.env.BENCH_FORK_ROUNDS ?? 3);
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

const lines: string[] = [];
try {
  for (const kind of only) {
    const image = images[kind];
    if (!image) throw new Error(`set TESTCLOUD_${kind.toUpperCase()}_IMAGE (bash scripts/images/${kind}/build.sh)`);
    console.error(`${kind}: making the template`);
    const t = performance.now();
    const template = await tc("template", "create", kind, image, "--network", network, "--ram", RAM[kind], "--timeout", "900");
    const templateMs = performance.now() - t;
    const boots: number[] = [];
    const forks: number[] = [];
    let lastFork: Record<string, number> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`${kind}: round ${round}/${ROUNDS}`);
      boots.push((await timed(["create", image, "--network", network, "--ram", RAM[kind], "--timeout", "900"])).ms);
      const fork = await timed(["create", "--from", kind, "--timeout", "300"]);
      forks.push(fork.ms);
      lastFork = fork.timings;
    }
    const [boot, fork] = [median(boots), median(forks)];
    lines.push(
      `${kind}: template made in ${s(templateMs)}, ${(template.sizeBytes / 2 ** 20).toFixed(1)} MiB on disk (${template.memoryMiB} MiB RAM)`,
      `${kind}: boot  create→ready median ${s(boot)} (${boots.map(s).join(", ")})`,
      `${kind}: fork  create→ready median ${s(fork)} (${forks.map(s).join(", ")})`,
      `${kind}: fork phases (last): ${Object.entries(lastFork).map(([k, v]) => `${k}=${v}`).join(" ")}`,
      `${kind}: fork/boot ${(fork / boot).toFixed(3)} (goal ≤ 0.25: ${fork / boot <= 0.25 ? "met" : "NOT met"}); fork ${s(fork)} (goal ≤ ${s(GOAL_MS[kind])}: ${fork <= GOAL_MS[kind] ? "met" : "NOT met"})`,
    );
    await tc("template", "remove", kind);
  }
} finally {
  for (const line of lines) console.log(line);
  // Whatever a failed round left: its instances, then the templates.
  for (const left of await tc("list").catch(() => [])) await tc("remove", "--force", left.name).catch(() => {});
  for (const left of await tc("template", "list").catch(() => [])) await tc("template", "remove", left.name).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
