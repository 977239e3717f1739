import { waitTimeoutS } from "../machine/arch-profile.ts";
import { sshPort } from "../machine/machine.ts";
import { lastLine, StateError, TimeoutError, ToolError } from "../errors.ts";
import { sshArgv } from "../host/ssh.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { sshTarget } from "./describe.ts";
import { loadInstance } from "./load-instance.ts";
import { assertRunning } from "./ssh-target.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";
import { waitReady } from "./wait-ready.ts";

/** What to wait for: an ssh login, or cloud-init having finished too. */
export type WaitFor = "ssh" | "cloud-init";

export interface WaitResult {
  name: string;
  ip: string;
  sshPort: number;
  waitedFor: WaitFor;
  readyMs: number;
  cloudInit: string | null;
}

/** Waits until a running instance is reachable (and, if asked, cloud-init is done). */
export async function waitInstance(
  conn: Virsh,
  dataDir: string,
  name: string,
  options: { for: WaitFor; timeoutS: number; defaultTimeout?: boolean; signal?: AbortSignal; run?: Runner; sshConnectTimeoutS?: number },
): Promise<WaitResult> {
  const instance = await loadInstance(conn, dataDir, name);
  assertRunning(instance);
  const start = performance.now();
  const timeoutS = waitTimeoutS(options.timeoutS, options.defaultTimeout, instance.record.machine);
  const ready = await waitReady(conn, instance.record, instance.paths, {
    timeoutMs: timeoutS * 1000,
    signal: options.signal,
    run: options.run,
    sshConnectTimeoutS: options.sshConnectTimeoutS,
  });
  let cloudInit: string | null = null;
  if (options.for === "cloud-init") {
    const left = timeoutS * 1000 - (performance.now() - start);
    cloudInit = await waitCloudInit(instance.record, instance.paths, ready.ip, Math.round(Math.max(left, 1000)), options.run);
  }
  const { record } = instance;
  return {
    name,
    ip: ready.ip,
    sshPort: sshPort(record.machine),
    waitedFor: options.for,
    readyMs: Math.round(performance.now() - start),
    cloudInit,
  };
}

/** ssh's own exit status: it could not connect, log in, or keep the connection. */
const SSH_FAILED = 255;
/**
 * ssh failures that pass: sshd restarting (cloud-init's set_passwords restarts it when it
 * rewrites sshd_config, in the minutes after the first login) or the guest's network
 * being set up again. A refused key or host key is not among them.
 */
const SSH_TRANSIENT = /Connection (refused|reset|closed|timed out)|kex_exchange_identification|closed by remote host|No route to host|Broken pipe/i;
const SSH_RETRY_MS = 1000;

/**
 * Runs `cloud-init status --wait` in the guest; "done" (0) and "degraded" (2) count as
 * finished. A connection that fails on the way is made again until the time is up: only
 * cloud-init's own answer can say that it failed.
 */
export async function waitCloudInit(
  record: InstanceRecord,
  paths: InstancePaths,
  ip: string,
  timeoutMs: number,
  run: Runner = defaultRun,
): Promise<string> {
  const argv = sshArgv(sshTarget(record, paths, ip), ["cloud-init status --wait"], ["-T", "-o", "BatchMode=yes"]);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const result = await run(argv, { allowFailure: true, timeoutMs: Math.max(Math.round(deadline - performance.now()), 1000) });
    const status = /status:\s*(\S+)/.exec(result.stdout)?.[1] ?? "unknown";
    if (result.exitCode === 0 || result.exitCode === 2) return status;
    const lostSsh = result.exitCode === SSH_FAILED && SSH_TRANSIENT.test(result.stderr);
    if (lostSsh && performance.now() + SSH_RETRY_MS < deadline) {
      await Bun.sleep(SSH_RETRY_MS);
      continue;
    }
    if (result.exitCode === 143 || result.exitCode === null || status === "running" || lostSsh) {
      throw new TimeoutError(`cloud-init did not finish in time on "${record.name}"`, {
        code: "E_TIMEOUT_CLOUD_INIT",
        detail: lostSsh ? [lastLine(result.stderr)] : undefined,
      });
    }
    // ssh refused for good (a key, a host key): not cloud-init's failure.
    if (result.exitCode === SSH_FAILED) throw new ToolError(result.argv, SSH_FAILED, result.stderr);
    throw new StateError(`cloud-init failed on "${record.name}": status ${status}`, {
      code: "E_CLOUD_INIT_FAILED",
      hint: `testcloud ssh ${record.name} -- sudo cloud-init status --long`,
      detail: (result.stdout + result.stderr).trim().split("\n").slice(-10),
    });
  }
}
