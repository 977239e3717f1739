// Benchmark of guests of each architecture (issue 13): create→ready of the tiny image of
// x86_64 (the host's: KVM when it works, else TCG) and of aarch64, ppc64le and s390x
// (always TCG), one after the other in one run, with the boot phase (start → ssh login)
// apart from the tool's own work, then `uname -m` over ssh and a clean shutdown.
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh) \
//   TESTCLOUD_TINY_AARCH64_IMAGE=$(bash scripts/images/tiny/build.sh aarch64) \
//   TESTCLOUD_TINY_PPC64LE_IMAGE=$(bash scripts/images/tiny/build.sh ppc64le) \
//   TESTCLOUD_TINY_S390X_IMAGE=$(bash scripts/images/tiny/build.sh s390x) bun scripts/bench-arches.ts
// An architecture whose variable is unset is skipped (its row says so).
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ARCHES = [
  { arch: "x86_64", variable: "TESTCLOUD_TINY_IMAGE", ram: "256" },
  // AAVMF takes 128 MiB of a small guest's memory for itself; 512 leaves the kernel room.
  { arch: "aarch64", variable: "TESTCLOUD_TINY_AARCH64_IMAGE", ram: "512" },
  { arch: "ppc64le", variable: "TESTCLOUD_TINY_PPC64LE_IMAGE", ram: "512" },
  { arch: "s390x", variable: "TESTCLOUD_TINY_S390X_IMAGE", ram: "512" },
];
const network = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-arches-"));
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };
const tc = (...args: string[]) => $`dist/testcloud ${args}`.env(env).quiet().nothrow();
const seconds = (ms: number) => (ms / 1000).toFixed(1);

interface Row {
  arch: string;
  machine: string;
  virt: string;
  ready: string;
  boot: string;
  tool: string;
  uname: string;
  shutdown: string;
}

/** create → ready, uname -m, shutdown, remove; a failure is a row that says what failed. */
async function measure(arch: string, image: string, ram: string): Promise<Row> {
  const name = `bench-arch-${arch.replace("_", "")}-${process.pid}`;
  const t0 = performance.now();
  const created = await tc("create", image, "--arch", arch, "--name", name, "--network", network, "--ram", ram, "--json");
  const readyMs = performance.now() - t0;
  const out = JSON.parse(created.stdout.toString() || "{}");
  const failed = (what: string): Row => ({ arch, machine: "-", virt: "-", ready: what, boot: "-", tool: "-", uname: "-", shutdown: "-" });
  try {
    if (created.exitCode !== 0) return failed(`failed: ${out.error?.code ?? created.exitCode}`);
    const info = JSON.parse((await tc("info", name, "--json")).stdout.toString());
    const uname = (await tc("ssh", name, "--", "uname", "-m")).stdout.toString().trim();
    const t1 = performance.now();
    const down = await tc("shutdown", name, "--json");
    const shutdown = down.exitCode === 0 ? `${seconds(performance.now() - t1)} s` : "failed";
    const boot = out.timings.boot as number;
    return {
      arch,
      machine: `${info.machine.type}/${info.machine.firmware}`,
      virt: info.machine.virtType === "kvm" ? "KVM" : "TCG",
      ready: `${seconds(readyMs)} s`,
      boot: `${seconds(boot)} s`,
      tool: `${seconds(readyMs - boot)} s`,
      uname,
      shutdown,
    };
  } finally {
    await tc("remove", "--force", name);
  }
}

const rows: Row[] = [];
for (const { arch, variable, ram } of ARCHES) {
  const image = process.env[variable];
  if (!image) {
    rows.push({ arch, machine: "-", virt: "-", ready: `skipped: ${variable} unset`, boot: "-", tool: "-", uname: "-", shutdown: "-" });
    continue;
  }
  console.error(`${arch}: creating from ${image}`);
  rows.push(await measure(arch, image, ram));
  console.error(`${arch}: ${JSON.stringify(rows.at(-1))}`);
}
rmSync(dataDir, { recursive: true, force: true });

const header: Row = { arch: "arch", machine: "machine/firmware", virt: "virt", ready: "create→ready", boot: "boot (start→ssh)", tool: "the rest", uname: "uname -m", shutdown: "shutdown" };
const keys = Object.keys(header) as (keyof Row)[];
const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
