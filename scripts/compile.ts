// How every standalone executable of this project is compiled: dist/testcloud (build.ts)
// and the benchmark's hello-world floor (bench-startup.ts) alike, so they compare fairly.
import { $ } from "bun";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const FLAGS = [
  "--compile",
  // Pre-compiled JS: start-up skips parsing. ESM, because citty uses import.meta.
  "--bytecode",
  "--format=esm",
  "--minify",
  // A standalone executable would otherwise read bunfig.toml and .env from the directory it
  // is run in: a bunfig `preload` runs any script as root, a .env sets TESTCLOUD_* settings.
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-dotenv",
  // A command lives a few dozen ms: JIT-compiling the run-once start-up code costs more
  // than it saves. Long loops still reach the JIT, 20 times later.
  "--compile-jit-policy=20",
];

export interface CompileOptions {
  /** Keeps each lazily imported module in its own chunk, loaded only when used. */
  splitting?: boolean;
  /**
   * Argument lists to run the first build with, most common first: the bytecode they use
   * is laid out together at the front of the second build, so start-up touches fewer pages.
   * A run may fail (no libvirt daemon, say): what it used up to then still counts.
   */
  profile?: string[][];
}

/** Compiles `entry` into the executable `outfile` (paths relative to `cwd`). */
export async function compile(cwd: string, entry: string, outfile: string, options: CompileOptions = {}): Promise<void> {
  const flags = [...FLAGS, ...(options.splitting ? ["--splitting"] : [])];
  await $`bun build ${flags} ${entry} --outfile ${outfile}`.cwd(cwd).quiet();
  if (!options.profile?.length) return;
  const scratch = mkdtempSync(join(tmpdir(), "tc-compile-"));
  try {
    const orders = options.profile.map((argv, i) => {
      const order = join(scratch, `order-${i}.txt`);
      // An empty data dir and config dir of its own: the run reads nothing of the user's.
      const env = { ...process.env, BUN_BYTECODE_ORDER_OUT: order, TESTCLOUD_DATA_DIR: join(scratch, "data"), XDG_CONFIG_HOME: join(scratch, "config") };
      // A daemon that does not answer costs the profile its end, not the build its time.
      Bun.spawnSync([resolve(cwd, outfile), ...argv], { env, stdout: "ignore", stderr: "ignore", timeout: 10_000 });
      return order;
    }).filter((order) => existsSync(order));
    if (orders.length === 0) return;
    await $`bun build ${flags} --bytecode-order=${orders.join(",")} ${entry} --outfile ${outfile}`.cwd(cwd).quiet();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
