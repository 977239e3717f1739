// Benchmarks of the image store (issue 3, "Performance"), on loopback with a 2 GiB raw image:
//   1. our verified download (`dist/testcloud image pull URL --sha256 …`) against `curl -o` of
//      the same file in the same run, from Bun.serve and from `python3 -m http.server`, to tmpfs
//      and to disk; on disk also against `curl -o` followed by an fsync of its file, since we
//      fsync before indexing and curl does not;
//   2. resume after a kill -9 at 50 %: bytes the server sent beyond the file's size;
//   3. peak RSS of the CLI during a download (VmHWM from /proc/PID/status, and rusage);
//   4. 8 parallel pulls of a new image: downloads of the body, counted by the server.
// Fairness: before every timed run the page cache is synced and dropped (as root) and the
// served image read back in, so each run starts from the same state and the server never
// reads the disk; the order of curl and ours rotates each round; ratios are paired per
// round (same load) and summarised by their median. The machine is shared: the load
// average and each tool's CPU seconds are printed so a reader can tell a busy host.
// Usage: bun run build && bun scripts/bench-download.ts   (about 3 minutes; cleans up after itself)
//   TESTCLOUD_BENCH_CLI=path measures another build instead of dist/testcloud.
import { $, type Subprocess } from "bun";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SIZE = 2 * 2 ** 30;
const CLI = process.env.TESTCLOUD_BENCH_CLI ?? join(import.meta.dir, "..", "dist", "testcloud");
const disk = mkdtempSync(join(tmpdir(), "tc-bench-dl-"));
const ram = mkdtempSync("/dev/shm/tc-bench-dl-");
const source = join(disk, "image.raw");
const rows: [string, string][] = [];
const note = (what: string, value: string) => {
  rows.push([what, value]);
  console.error(`${what.padEnd(60)} ${value}`);
};

/** 2 GiB of pseudo-random data (incompressible, no repeated 16 MiB block) with an MBR signature. */
function makeImage(path: string): string {
  const block = new Uint8Array(16 << 20);
  for (let o = 0; o < block.length; o += 65536) crypto.getRandomValues(block.subarray(o, o + 65536));
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(path, "w");
  for (let i = 0; i < SIZE / block.length; i++) {
    new DataView(block.buffer).setUint32(4096, i); // every block differs
    if (i === 0) block.set([0x55, 0xaa], 510);
    else block.set([0, 0], 510);
    writeSync(fd, block);
    hasher.update(block);
  }
  closeSync(fd);
  return hasher.digest("hex");
}

/** A mirror-like server: ETag, Last-Modified, Range/If-Range; `/counted/…` counts body bytes it hands out. */
function startServer(path: string) {
  const etag = `"${statSync(path).mtimeMs.toString(16)}"`;
  const lastModified = new Date(statSync(path).mtimeMs).toUTCString();
  const bodyGets = new Map<string, number>();
  let counted = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch(request) {
      const url = new URL(request.url);
      const range = /^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "");
      const ifRange = request.headers.get("if-range");
      const start = range && (!ifRange || ifRange === etag || ifRange === lastModified) ? Number(range[1]) : 0;
      const headers: Record<string, string> = { etag, "last-modified": lastModified, "accept-ranges": "bytes", "content-type": "application/octet-stream" };
      headers["content-length"] = String(SIZE - start);
      if (start > 0) headers["content-range"] = `bytes ${start}-${SIZE - 1}/${SIZE}`;
      const status = start > 0 ? 206 : 200;
      if (request.method === "GET") bodyGets.set(url.pathname, (bodyGets.get(url.pathname) ?? 0) + 1);
      if (request.method === "HEAD") return new Response(null, { status, headers });
      if (!url.pathname.startsWith("/counted/")) return new Response(Bun.file(path).slice(start), { status, headers });
      let offset = start;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (offset >= SIZE) return controller.close();
          const chunk = new Uint8Array(await Bun.file(path).slice(offset, Math.min(offset + (1 << 20), SIZE)).arrayBuffer());
          offset += chunk.byteLength;
          counted += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      return new Response(body, { status, headers });
    },
  });
  return { server, url: (p: string) => `http://127.0.0.1:${server.port}${p}`, bodyGets, counted: () => counted };
}

interface Run {
  seconds: number;
  exitCode: number;
  stdout: string;
  /** Peak RSS in MiB from VmHWM, polled. */
  hwm: number;
  /** Peak RSS in MiB from the kernel's rusage at exit. */
  maxRss: number;
  /** user + system CPU seconds. */
  cpu: number;
}

async function timed(argv: string[], env: Record<string, string> = {}, onTick?: (proc: Subprocess) => void): Promise<Run> {
  const start = performance.now();
  const proc = Bun.spawn(argv, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let hwm = 0;
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
      hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
    } catch {}
    onTick?.(proc);
  }, 20);
  const [stdout, , exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearInterval(poll);
  const seconds = (performance.now() - start) / 1000;
  // Bun's rusage maxRSS is in bytes (Node's is in KiB), its CPU times in µs.
  const usage = proc.resourceUsage();
  const maxRss = (usage?.maxRSS ?? 0) / 2 ** 20;
  const cpu = Number(usage?.cpuTime.total ?? 0n) / 1e6;
  return { seconds, exitCode, stdout, hwm, maxRss, cpu };
}

const mibs = (seconds: number) => `${(SIZE / 2 ** 20 / seconds).toFixed(0)} MiB/s`;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

let dropped: boolean | undefined;

/** Same start for every run: nothing dirty, nothing cached but the served image. */
async function settle() {
  await $`sync`;
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    dropped = true;
  } catch {
    dropped = false;
  }
  await $`cat ${source} > /dev/null`;
}

async function pull(url: string, dataDir: string, digest: string, onTick?: (proc: Subprocess) => void): Promise<Run> {
  rmSync(dataDir, { recursive: true, force: true });
  await settle();
  const run = await timed([CLI, "image", "pull", url, "--sha256", digest, "--json"], { TESTCLOUD_DATA_DIR: dataDir }, onTick);
  if (run.exitCode !== 0 && !onTick) throw new Error(`pull failed: ${run.stdout}`);
  return run;
}

/** `curl -o`, and with `fsync` also `sync FILE` (coreutils: fsync of that file) in the timing. */
async function curl(url: string, out: string, fsync: boolean): Promise<Run> {
  rmSync(out, { force: true });
  await settle();
  const run = await timed(["curl", "-sf", "-o", out, url]);
  if (run.exitCode !== 0) throw new Error(`curl failed: exit ${run.exitCode}`);
  if (fsync) {
    const sync = await timed(["sync", out]);
    run.seconds += sync.seconds;
    run.cpu += sync.cpu;
  }
  rmSync(out, { force: true });
  return run;
}

async function throughput(label: string, url: string, dir: string, digest: string, rounds: number, peaks: number[]) {
  const runs: Record<"plain" | "synced" | "ours", Run[]> = { plain: [], synced: [], ours: [] };
  const kinds = dir === disk ? (["plain", "ours", "synced"] as const) : (["plain", "ours"] as const);
  for (let i = 0; i < rounds; i++) {
    // Rotate the order, so that no tool always runs first or right after another.
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(i + k) % kinds.length]!;
      if (kind === "ours") runs.ours.push(await pull(url, join(dir, "data"), digest));
      else runs[kind].push(await curl(url, join(dir, "curl.raw"), kind === "synced"));
    }
    const run = runs.ours.at(-1)!;
    peaks.push(run.hwm, run.maxRss);
    note(`  ${label} round ${i + 1}: peak RSS VmHWM / rusage`, `${run.hwm.toFixed(1)} / ${run.maxRss.toFixed(1)} MiB`);
  }
  rmSync(join(dir, "data"), { recursive: true, force: true });
  const speeds = (xs: Run[]) => xs.map((r) => mibs(r.seconds)).join(", ");
  // Paired per round: both runs saw about the same load on the shared machine.
  const ratios = (theirs: Run[]) => {
    const each = theirs.map((r, i) => r.seconds / runs.ours[i]!.seconds);
    return `${median(each).toFixed(2)} (rounds: ${each.map((x) => x.toFixed(2)).join(", ")})`;
  };
  note(`${label}: curl -o (each round)`, speeds(runs.plain));
  if (runs.synced.length) note(`${label}: curl -o + fsync (each round)`, speeds(runs.synced));
  note(`${label}: testcloud image pull --sha256 (each round)`, speeds(runs.ours));
  note(`${label}: ratio ours/curl -o, median of rounds`, ratios(runs.plain));
  if (runs.synced.length) note(`${label}: ratio ours/(curl -o + fsync), median`, ratios(runs.synced));
  const cpu = (xs: Run[]) => median(xs.map((r) => r.cpu)).toFixed(2);
  const synced = runs.synced.length ? `, curl -o + fsync ${cpu(runs.synced)}` : "";
  note(`${label}: CPU s per run (user+sys), median`, `curl -o ${cpu(runs.plain)}${synced}, ours ${cpu(runs.ours)}`);
}

/** Kill -9 at 50 %, then pull again: how many bytes were sent beyond the file's size. */
async function resume(srv: ReturnType<typeof startServer>, dir: string, digest: string) {
  const dataDir = join(dir, "resume");
  const url = srv.url("/counted/image.raw");
  const partialDir = join(dataDir, "images", "partial");
  let partialAtKill = 0;
  const first = await pull(url, dataDir, digest, (proc) => {
    const name = readdirSafe(partialDir).find((n) => n.endsWith(".partial"));
    const size = name ? statSync(join(partialDir, name)).size : 0;
    if (size >= SIZE / 2 && !proc.killed) proc.kill("SIGKILL");
  });
  const name = readdirSafe(partialDir).find((n) => n.endsWith(".partial"));
  partialAtKill = name ? statSync(join(partialDir, name)).size : 0;
  const sentFirst = srv.counted();
  const second = await timed([CLI, "image", "pull", url, "--sha256", digest, "--json"], { TESTCLOUD_DATA_DIR: dataDir });
  const extra = srv.counted() - SIZE;
  note("resume: first pull killed (-9) with partial on disk", `${(partialAtKill / 2 ** 20).toFixed(0)} MiB (${((partialAtKill / SIZE) * 100).toFixed(1)} %), exit ${first.exitCode}`);
  note("resume: server sent to the killed pull", `${(sentFirst / 2 ** 20).toFixed(1)} MiB`);
  note("resume: second pull", `exit ${second.exitCode}, ${second.seconds.toFixed(1)} s, ${JSON.parse(second.stdout).digest === digest ? "digest ok" : "DIGEST WRONG"}`);
  note("resume: bytes sent beyond the file size (re-fetched)", `${(extra / 2 ** 20).toFixed(1)} MiB = ${((extra / SIZE) * 100).toFixed(2)} %`);
  rmSync(dataDir, { recursive: true, force: true });
}

/** 8 pulls of a new image at once: how many GETs the server answered with a body. */
async function parallel(srv: ReturnType<typeof startServer>, dir: string, digest: string) {
  const dataDir = join(dir, "parallel");
  rmSync(dataDir, { recursive: true, force: true });
  const url = srv.url("/parallel/image.raw");
  const start = performance.now();
  const runs = await Promise.all(Array.from({ length: 8 }, () => timed([CLI, "image", "pull", url, "--sha256", digest, "--json"], { TESTCLOUD_DATA_DIR: dataDir })));
  const seconds = (performance.now() - start) / 1000;
  const docs = runs.map((r) => JSON.parse(r.stdout) as { digest: string; cached: boolean });
  note("parallel: 8 pulls, exit codes", runs.map((r) => r.exitCode).join(","));
  note("parallel: downloaded / reused / digests", `${docs.filter((d) => !d.cached).length} / ${docs.filter((d) => d.cached).length} / ${new Set(docs.map((d) => d.digest)).size} distinct`);
  note("parallel: GET requests for the body (server count)", String(srv.bodyGets.get("/parallel/image.raw") ?? 0));
  note("parallel: wall time for all 8", `${seconds.toFixed(1)} s`);
  rmSync(dataDir, { recursive: true, force: true });
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ");
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

let python: Subprocess<"ignore", "pipe", "ignore"> | undefined;
let srv: ReturnType<typeof startServer> | undefined;
try {
  if (!statSync(CLI, { throwIfNoEntry: false })) throw new Error("dist/testcloud is missing: run `bun run build` first");
  const t0 = performance.now();
  const digest = makeImage(source);
  note("image: 2 GiB raw, random, MBR; generated in", `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  note("host", `${navigator.hardwareConcurrency} CPUs, ${(await $`uname -r`.text()).trim()}, cache and curl output on ${tmpdir()} (disk) and /dev/shm (tmpfs)`);
  note("load average at start (1, 5, 15 min)", loadAverage());
  srv = startServer(source);
  mkdirSync(join(ram, "x"), { recursive: true });
  const peaks: number[] = [];
  const idle = await timed([CLI, "--version"]);
  note("RSS of dist/testcloud --version (the runtime alone)", `${idle.maxRss.toFixed(1)} MiB`);
  await throughput("Bun.serve → tmpfs", srv.url("/image.raw"), ram, digest, 3, peaks);
  await throughput("Bun.serve → disk", srv.url("/image.raw"), disk, digest, 5, peaks);
  python = Bun.spawn(["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", disk], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const banner = await python.stdout.getReader().read();
  const port = /port (\d+)/.exec(new TextDecoder().decode(banner.value))?.[1];
  await throughput("python3 http.server → tmpfs", `http://127.0.0.1:${port}/image.raw`, ram, digest, 3, peaks);
  note("peak RSS of the CLI over all pulls above", `${Math.max(...peaks).toFixed(1)} MiB`);
  await resume(srv, disk, digest);
  await parallel(srv, ram, digest);
  note("page cache dropped before each timed run", dropped ? "yes" : "no (needs root): synced only");
  note("load average at the end (1, 5, 15 min)", loadAverage());
} finally {
  python?.kill();
  srv?.server.stop(true);
  rmSync(disk, { recursive: true, force: true });
  rmSync(ram, { recursive: true, force: true });
}

console.log("| measurement | value |\n|---|---|");
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
