import { waitTimeoutS } from "../machine/arch-profile.ts";
import { sshPort } from "../machine/machine.ts";
import { StateError, TimeoutError } from "../errors.ts";
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

/** Runs `cloud-init status --wait` in the guest; "done" (0) and "degraded" (2) count as finished. */
export async function waitCloudInit(
  record: InstanceRecord,
  paths: InstancePaths,
  ip: string,
  timeoutMs: number,
  run: Runner = defaultRun,
): Promise<string> {
  const argv = sshArgv(sshTarget(record, paths, ip), ["cloud-init status --wait"], ["-T", "-o", "BatchMode=yes"]);
  const result = await run(argv, { allowFailure: true, timeoutMs });
  const status = /status:\s*(\S+)/.exec(result.stdout)?.[1] ?? "unknown";
  if (result.exitCode === 0 || result.exitCode === 2) return status;
  if (result.exitCode === 143 || result.exitCode === null || status === "running") {
    throw new TimeoutError(`cloud-init did not finish in time on "${record.name}"`, { code: "E_TIMEOUT_CLOUD_INIT" });
  }
  throw new StateError(`cloud-init failed on "${record.name}": status ${status}`, {
    code: "E_CLOUD_INIT_FAILED",
    hint: `testcloud ssh ${record.name} -- sudo cloud-init status --long`,
    detail: (result.stdout + result.stderr).trim().split("\n").slice(-10),
  });
}
