// Benchmarks of the walking skeleton (issue 2): binary build time, test-image
// build times, create→ready for both test images, and `list --json` latency.
// Usage (root, after scripts/setup-host.sh): bun scripts/bench-skeleton.ts
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const network = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-"));
// QEMU runs as its own user under qemu:///system and must traverse the data dir.
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };

async function seconds<T>(step: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await step();
  return [(performance.now() - start) / 1000, value];
}

const rows: [string, string][] = [];
const [build] = await seconds(() => $`bun scripts/build.ts`.quiet());
rows.push(["binary build (bun build --compile --bytecode)", `${build.toFixed(1)} s`]);

// Cold image builds go to a scratch fixtures dir; the package download cache is shared.
const scratch = mkdtempSync(join(tmpdir(), "tc-fixtures-"));
const images: Record<string, string> = {};
for (const kind of ["tiny", "debian"]) {
  const [cold] = await seconds(() => $`bash scripts/images/${kind}/build.sh`.env({ ...env, TESTCLOUD_FIXTURES: scratch }).quiet());
  const [warm, out] = await seconds(() => $`bash scripts/images/${kind}/build.sh`.env({ ...env, TESTCLOUD_FIXTURES: scratch }).quiet());
  images[kind] = out.stdout.toString().trim();
  rows.push([`${kind} image build, cold / cached`, `${cold.toFixed(1)} s / ${warm.toFixed(2)} s`]);
}

for (const kind of ["tiny", "debian"]) {
  const name = `bench-${kind}-${process.pid}`;
  const ram = kind === "tiny" ? "256" : "1024";
  const [wall, out] = await seconds(() =>
    $`dist/testcloud create ${images[kind]!} --name ${name} --network ${network} --ram ${ram} --json`.env(env).quiet(),
  );
  const t = JSON.parse(out.stdout.toString()).timings as Record<string, number>;
  rows.push([`${kind}: create → ssh ready (wall)`, `${wall.toFixed(1)} s`]);
  rows.push([`${kind}: phases (ms)`, Object.entries(t).map(([k, v]) => `${k}=${v}`).join(" ")]);
  await $`dist/testcloud remove --force ${name}`.env(env).quiet();
}

const samples: number[] = [];
for (let i = 0; i < 20; i++) {
  const [s] = await seconds(() => $`dist/testcloud list --json`.env(env).quiet());
  samples.push(s * 1000);
}
samples.sort((a, b) => a - b);
rows.push(["list --json, median of 20 (0 instances)", `${samples[10]!.toFixed(1)} ms`]);

rmSync(dataDir, { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });
for (const [what, value] of rows) console.log(`${what.padEnd(48)} ${value}`);
