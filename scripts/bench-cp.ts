// Benchmark of `testcloud cp` against plain `scp` (issue: files): one Debian instance, a
// 256 MiB random file copied up and down by each, with the instance's own key and
// known_hosts (the same trust settings testcloud uses), 3 rounds in alternating order.
// Debian's image has openssh-server with sftp-server, which OpenSSH 9's scp needs.
// Usage (root, after scripts/setup-host.sh and bun run build):
//   TESTCLOUD_DEBIAN_IMAGE=$(bash scripts/images/debian/build.sh) bun scripts/bench-cp.ts
import { $ } from "bun";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

const image = process.env.TESTCLOUD_DEBIAN_IMAGE;
if (!image) throw new Error("set TESTCLOUD_DEBIAN_IMAGE (bash scripts/images/debian/build.sh)");
const network = process.env.TESTCLOUD_TEST_NETWORK ?? "testcloud-test";
const SIZE = Number(process.env.BENCH_CP_MIB ?? 256) * 2 ** 20;
const ROUNDS = 3;
const dataDir = mkdtempSync(join(tmpdir(), "tc-bench-cp-"));
chmodSync(dataDir, 0o755);
const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir };
const tc = (...args: string[]) => $`dist/testcloud ${args}`.env(env).quiet();
const name = `bench-cp-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), "tc-bench-cp-files-"));
const source = join(work, "random.bin");
writeFileSync(source, randomBytes(SIZE));
const sha256 = async (path: string) => (await $`sha256sum ${path}`.quiet().text()).split(" ")[0];
const expected = await sha256(source);

console.error(`creating ${name} from ${image}`);
await tc("create", image, "--name", name, "--network", network, "--ram", "1024", "--json");
const info = JSON.parse((await tc("info", name, "--json")).stdout.toString());
// Exactly the options `testcloud ssh` uses (lib/host/ssh.ts sshOptions), as scp spells them.
const scpOptions = [
  "-i", info.keyPath, "-P", String(info.sshPort), "-o", "IdentitiesOnly=yes",
  "-o", `UserKnownHostsFile=${info.knownHostsPath}`, "-o", "GlobalKnownHostsFile=/dev/null",
  "-o", "StrictHostKeyChecking=yes", "-o", `HostKeyAlias=testcloud-${name}`, "-o", "BatchMode=yes", "-F", "/dev/null",
];
const remote = (path: string) => `${info.user}@${info.ip}:${path}`;

const tools = {
  cp: {
    up: () => tc("cp", source, `${name}:cp.bin`),
    down: (to: string) => tc("cp", `${name}:cp.bin`, to),
  },
  scp: {
    up: () => $`scp -q ${scpOptions} ${source} ${remote("scp.bin")}`.quiet(),
    down: (to: string) => $`scp -q ${scpOptions} ${remote("scp.bin")} ${to}`.quiet(),
  },
};
type Tool = keyof typeof tools;
const rates: Record<string, number[]> = { "cp up": [], "cp down": [], "scp up": [], "scp down": [] };
const mibps = (ms: number) => SIZE / 2 ** 20 / (ms / 1000);

async function measure(tool: Tool, round: number) {
  let t = performance.now();
  await tools[tool].up();
  rates[`${tool} up`]!.push(mibps(performance.now() - t));
  const back = join(work, `${tool}-${round}.bin`);
  t = performance.now();
  await tools[tool].down(back);
  rates[`${tool} down`]!.push(mibps(performance.now() - t));
  if ((await sha256(back)) !== expected) throw new Error(`${tool} round ${round}: the file came back different`);
  rmSync(back);
}

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Tool[] = round % 2 === 1 ? ["cp", "scp"] : ["scp", "cp"];
    for (const tool of order) {
      await measure(tool, round);
      console.error(`round ${round} ${tool}: up ${rates[`${tool} up`]!.at(-1)!.toFixed(2)} MiB/s, down ${rates[`${tool} down`]!.at(-1)!.toFixed(2)} MiB/s`);
    }
  }
} finally {
  await $`dist/testcloud remove --force ${name}`.env(env).quiet().nothrow();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${SIZE / 2 ** 20} MiB random file, ${ROUNDS} rounds (alternating order), MiB/s per run and median:`);
for (const [what, xs] of Object.entries(rates)) console.log(`  ${what.padEnd(9)} ${xs.map((x) => x.toFixed(2).padStart(7)).join(" ")}   median ${median(xs).toFixed(2)}`);
for (const way of ["up", "down"]) {
  const ratios = rates[`cp ${way}`]!.map((x, i) => x / rates[`scp ${way}`]![i]!);
  console.log(`  cp/scp ${way.padEnd(4)} ${ratios.map((r) => r.toFixed(2).padStart(7)).join(" ")}   median ${median(ratios).toFixed(2)}`);
}
