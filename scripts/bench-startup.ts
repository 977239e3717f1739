// Start-up cost of testcloud against the floor: a hello-world citty binary compiled the same
// way (scripts/compile.ts, with a bytecode-order profile of its own run). Reports `testcloud --version`
// and `testcloud list --json` (0 instances, an empty data dir of its own) as ratios to it:
// medians of interleaved runs in a new order each round, so a busy moment of the machine slows all alike. A fourth
// binary only asks libvirtd for its domains as `list` does (lib/libvirt/virsh.ts over RPC):
// what of list's time is the daemon's answer, which no start-up work can save.
// Usage: bun scripts/bench-startup.ts [RUNS] (default 30; builds dist/testcloud first
// unless TESTCLOUD_BENCH_NO_BUILD=1).
import { $ } from "bun";
import { compile } from "./compile.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const runs = Number(process.argv[2] ?? 30);
const root = resolve(import.meta.dir, "..");
const testcloud = join(root, "dist", "testcloud");
const scratch = mkdtempSync(join(tmpdir(), "tc-bench-startup-"));

if (process.env.TESTCLOUD_BENCH_NO_BUILD !== "1") await $`bun scripts/build.ts`.cwd(root).quiet();

// The hello world imports citty by absolute path: the scratch dir has no node_modules.
const citty = Bun.resolveSync("citty", root);
writeFileSync(
  join(scratch, "hello.ts"),
  `import { defineCommand, runMain } from ${JSON.stringify(citty)};\n` +
    `runMain(defineCommand({ meta: { name: "hello", version: "1.0.0" }, run() { console.log("hello"); } }));\n`,
);
const hello = join(scratch, "hello");
await compile(root, join(scratch, "hello.ts"), hello, { profile: [["--version"]] });

// The same query list makes, alone: connect, list every domain with its state and title.
writeFileSync(
  join(scratch, "libvirt.ts"),
  `import { connect, listDomainSummaries } from ${JSON.stringify(join(root, "lib/libvirt/virsh.ts"))};\n` +
    `await listDomainSummaries(connect(process.getuid?.() === 0 ? "qemu:///system" : "qemu:///session"));\n`,
);
const probe = join(scratch, "libvirt");
await compile(root, join(scratch, "libvirt.ts"), probe, { profile: [[]] });

const env = { ...process.env, TESTCLOUD_DATA_DIR: join(scratch, "data"), XDG_CONFIG_HOME: join(scratch, "config") };
const cases: [string, string[]][] = [
  ["hello --version (citty floor)", [hello, "--version"]],
  ["testcloud --version", [testcloud, "--version"]],
  ["testcloud list --json", [testcloud, "list", "--json"]],
  ["(libvirt domain list alone)", [probe]],
];

/** Wall time of one run in ms; a failing run fails the benchmark. */
function time(argv: string[]): number {
  const start = performance.now();
  const result = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - start;
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${result.stderr.toString()}`);
  return ms;
}

const samples = cases.map(() => [] as number[]);
for (const [, argv] of cases) time(argv); // warm the page cache
// A new order each round: a run right after one that talked to libvirtd starts while the
// daemon still tidies up that connection, and no case should always be the one that does.
for (let i = 0; i < runs; i++) {
  for (const c of shuffled(cases.map((_, c) => c))) samples[c]!.push(time(cases[c]![1]));
}

function shuffled(xs: number[]): number[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const floor = median(samples[0]!);
console.log(`start-up, median of ${runs} interleaved runs each`);
cases.forEach(([label], c) => {
  const ms = median(samples[c]!);
  console.log(`${label.padEnd(30)} ${ms.toFixed(1).padStart(6)} ms  ${(ms / floor).toFixed(2)}×`);
});
rmSync(scratch, { recursive: true, force: true });
