// create → ready of the tiny image under BIOS and under UEFI, alternating in one run (issue 10).
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh) bun scripts/bench-firmware.ts [ROUNDS]
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const image = process.env.TESTCLOUD_TINY_IMAGE;
if (!image) throw new Error("set TESTCLOUD_TINY_IMAGE (bash scripts/images/tiny/build.sh)");
const rounds = Number(process.argv[2] ?? 5);
const network = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-fw-"));
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };
const tc = (...args: string[]) => $`dist/testcloud ${args}`.env(env).quiet().nothrow();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const results: Record<string, { wall: number[]; boot: number[] }> = { bios: { wall: [], boot: [] }, uefi: { wall: [], boot: [] } };
try {
  // One image pull first, so neither firmware pays for the cache.
  await tc("image", "pull", image);
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so a slower moment of the host hits both alike.
    for (const firmware of round % 2 ? ["uefi", "bios"] : ["bios", "uefi"]) {
      const name = `bench-${firmware}-${round}`;
      const t0 = performance.now();
      // 512 MiB for both: OVMF leaves GRUB too little of 256 MiB.
      const out = await tc("create", image, "--name", name, "--network", network, "--ram", "512", "--firmware", firmware, "--json");
      const wall = performance.now() - t0;
      if (out.exitCode !== 0) throw new Error(`create ${name} failed: ${out.stdout}`);
      const timings = JSON.parse(out.stdout.toString()).timings as Record<string, number>;
      results[firmware]!.wall.push(wall);
      results[firmware]!.boot.push(timings.boot!);
      await tc("remove", "--force", name);
    }
  }
  const line = (what: string, value: string) => console.log(`${what.padEnd(58)} ${value}`);
  for (const firmware of ["bios", "uefi"]) {
    const r = results[firmware]!;
    line(`tiny, --firmware ${firmware}: create → ready (each round)`, r.wall.map(s).join(", "));
    line(`tiny, --firmware ${firmware}: create → ready, median of ${rounds}`, `${s(median(r.wall))} (of which waiting for the guest ${s(median(r.boot))})`);
  }
  line("UEFI / BIOS, medians", (median(results.uefi!.wall) / median(results.bios!.wall)).toFixed(2));
} finally {
  await tc("clean");
  rmSync(dataDir, { recursive: true, force: true });
}
