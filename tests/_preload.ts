// Loaded before every test file (bunfig.toml [test] preload): hooks here run once for the
// whole run. An afterAll inside a shared module would belong to the first file that imports
// it, and run when that file is done, not after the last test that made a VM.
import { afterAll } from "bun:test";

type Sweep = () => Promise<void>;
const sweeps: Sweep[] = [];

/** Runs `sweep` once, after every test file of this run is done. */
export function afterRun(sweep: Sweep): void {
  sweeps.push(sweep);
}

afterAll(async () => {
  for (const sweep of sweeps) await sweep();
}, 300_000);
