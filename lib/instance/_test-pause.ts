/**
 * A test-only hook (docs/design.md, "Fault tests"): with TESTCLOUD_TEST_PAUSE=<point>,
 * `create` stops at that point, says so on stderr, and waits for SIGUSR2, so a test can
 * kill -9 it, or restart libvirtd, at an exact step instead of after a guessed delay.
 * It only ever waits: nothing it reads can change what is made.
 */
export type PausePoint = "claimed" | "prepared" | "started";

export async function testPause(point: PausePoint, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.TESTCLOUD_TEST_PAUSE !== point) return;
  // A signal listener alone does not keep the process alive: the timer does.
  const alive = setInterval(() => {}, 60_000);
  const resumed = new Promise<void>((resolve) => process.once("SIGUSR2", () => resolve()));
  process.stderr.write(`testcloud: test pause at ${point} (pid ${process.pid})\n`);
  await resumed;
  clearInterval(alive);
}
