// Benchmark of remote hosts (issue 14), against the second host of scripts/second-host.sh:
//  1. upload throughput of an image into a pool on that host (`virsh vol-upload`, what create
//     does the first time an image meets a host) vs `scp` of the same file to the same host,
//     in the same run, alternating, ROUNDS each;
//  2. create → ready (ssh login) of the tiny image on the remote host (first create: uploads
//     the image; second: the host has it) vs on qemu:///system.
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh) bun scripts/bench-remote.ts
//   BENCH_IMAGE=/path/to/other.qcow2 to upload a bigger file in part 1.
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const tiny = process.env.TESTCLOUD_TINY_IMAGE;
if (!tiny) throw new Error("set TESTCLOUD_TINY_IMAGE (bash scripts/images/tiny/build.sh)");
const upload = process.env.BENCH_IMAGE ?? tiny;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const envLines = (await $`bash scripts/second-host.sh start`.quiet().text()).trim().split("\n");
const host = Object.fromEntries(envLines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(/^'|'$/g, "")]));
const uri = host.TESTCLOUD_SECOND_HOST_URI!;
const virsh = (...args: string[]) => $`virsh -q -c ${uri} ${args}`.quiet();
const sshOptions = ["-F", "/dev/null", "-i", host.TESTCLOUD_SECOND_HOST_KEY!, "-o", "IdentitiesOnly=yes", "-o", `UserKnownHostsFile=${host.TESTCLOUD_SECOND_HOST_KNOWN_HOSTS}`, "-o", "BatchMode=yes"];
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const seconds = async (step: () => Promise<unknown>) => {
  const start = performance.now();
  await step();
  return (performance.now() - start) / 1000;
};

// 1. Upload throughput.
const size = statSync(upload).size;
const pool = `testcloud-bench-${process.pid}`;
await virsh("pool-define-as", pool, "dir", "--target", `/var/lib/libvirt/images/${pool}`);
await virsh("pool-build", pool);
await virsh("pool-start", pool);
const times: Record<string, number[]> = { "virsh vol-upload (libvirt stream over ssh)": [], "scp (same host, same key)": [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const runs = [
      async () => {
        await virsh("vol-create-as", pool, "bench", "0", "--format", "raw");
        times["virsh vol-upload (libvirt stream over ssh)"]!.push(await seconds(() => virsh("vol-upload", "--pool", pool, "bench", upload)));
        await virsh("vol-delete", "--pool", pool, "bench");
      },
      async () => {
        times["scp (same host, same key)"]!.push(await seconds(() => $`scp -q ${sshOptions} ${upload} root@${host.TESTCLOUD_SECOND_HOST_ADDR}:/var/lib/libvirt/images/${pool}/scp-copy`.quiet()));
        await $`ssh ${sshOptions} root@${host.TESTCLOUD_SECOND_HOST_ADDR} rm -f /var/lib/libvirt/images/${pool}/scp-copy`.quiet();
      },
    ];
    // Alternating order, so neither always runs on a warm cache.
    for (const run of round % 2 ? runs.reverse() : runs) await run();
  }
} finally {
  await virsh("pool-destroy", pool).nothrow();
  await virsh("pool-delete", pool).nothrow();
  await virsh("pool-undefine", pool).nothrow();
}
console.log(`upload of ${upload} (${mib(size)} MiB) to ${host.TESTCLOUD_SECOND_HOST_ADDR}, ${ROUNDS} rounds each`);
for (const [tool, list] of Object.entries(times)) {
  const best = Math.min(...list);
  console.log(`  ${tool.padEnd(44)} best ${best.toFixed(2)} s = ${mib(size / best)} MiB/s   all: ${list.map((t) => t.toFixed(2)).join(" ")}`);
}

// 2. create → ready, remote vs local.
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-remote-"));
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };
const rows: string[] = [];
try {
  for (const [label, connect] of [["local qemu:///system", "qemu:///system"], ["remote, first (uploads)", uri], ["remote, second (cached)", uri], ["local qemu:///system", "qemu:///system"]] as const) {
    const name = `bench-remote-${rows.length}`;
    const start = performance.now();
    const out = await $`dist/testcloud --connect ${connect} create ${tiny} --name ${name} --network user --ram 256 --json`.env(env).quiet();
    const wall = (performance.now() - start) / 1000;
    const t = JSON.parse(out.stdout.toString()).timings;
    rows.push(`  ${label.padEnd(26)} ${wall.toFixed(1).padStart(5)} s   pool ${t.pool} ms, overlay ${t.overlay} ms, seed ${t.seed} ms, define ${t.define} ms, start ${t.start} ms, boot ${t.boot} ms`);
    await $`dist/testcloud --connect ${connect} remove --force ${name}`.env(env).quiet();
  }
} finally {
  const poolName = `testcloud-${new Bun.CryptoHasher("sha256").update(dataDir).digest("hex").slice(0, 12)}`;
  for (const vol of (await virsh("vol-list", "--pool", poolName).nothrow().text()).split("\n").map((l) => l.trim().split(/\s+/)[0]).filter(Boolean)) {
    await virsh("vol-delete", "--pool", poolName, vol!).nothrow();
  }
  for (const verb of ["pool-destroy", "pool-delete", "pool-undefine"]) await virsh(verb, poolName).nothrow();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log("create → ready (tiny image, user-mode network, 256 MiB), wall time of dist/testcloud create");
for (const row of rows) console.log(row);
