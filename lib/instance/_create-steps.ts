import { chmod, mkdir, rm } from "node:fs/promises";
import { AlreadyExistsError, InterruptedError, TestcloudError } from "../errors.ts";
import type { Runner } from "../host/run.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { markCreating, unmarkCreating } from "./creation-lock.ts";
import { phase, type EventSink } from "./events.ts";
import { removeInstance } from "./remove-instance.ts";
import { deleteInstanceVolumes } from "./instance-volumes.ts";
import type { InstancePaths, InstanceRecord, InstanceVolumes } from "./state.ts";
import { waitCloudInit } from "./wait-instance.ts";
import { waitReady, type ReadyGate } from "./wait-ready.ts";

// Steps `create` and `create --from` share.

/** Milliseconds each phase of `create` took. */
export type Timings = Record<string, number>;

/** Waits for every step, then fails with the first error: rollback must not race a step still writing. */
export async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Runs each named phase, noting its milliseconds in `timings` and reporting it to `onEvent`. */
export function phaseTimer(timings: Timings, signal?: AbortSignal, onEvent?: EventSink) {
  return async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw new InterruptedError(`Interrupted before ${name}`);
    const start = performance.now();
    try {
      return await phase(name, step, onEvent);
    } finally {
      timings[name] = Math.round(performance.now() - start);
    }
  };
}

export type PhaseTimer = ReturnType<typeof phaseTimer>;

/** Undoes a failed create (domain and directory), or with `keep` leaves it and says where. */
export async function rollback(conn: Virsh, options: { keep?: boolean; dataDir: string }, name: string, dir: string, error: unknown, volumes?: InstanceVolumes) {
  if (options.keep) {
    unmarkCreating(dir);
    if (error instanceof TestcloudError) {
      (error as { hint?: string }).hint = `kept for inspection in ${dir}; remove with: testcloud remove --force ${name}`;
    }
    return;
  }
  await removeInstance(conn, options.dataDir, name, { force: true }).catch(() => rm(dir, { recursive: true, force: true }));
  // The record may not have been written yet: its volumes go by the names made for it.
  if (volumes) await deleteInstanceVolumes(conn, volumes).catch(() => undefined);
}

/** mkdir without -p is the atomic claim on a name: of two concurrent creates, one wins. */
export async function claimDirectory(dir: string, name: string): Promise<void> {
  try {
    await mkdir(dir);
    // 0711: QEMU reaches the disks in it, no other user lists or reads them (they are 0600).
    await chmod(dir, 0o711);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
    }
    throw error;
  }
  markCreating(dir);
}

/** How long to wait for what, as `create` was asked. */
export interface ReadyOptions {
  timeoutS: number;
  sshConnectTimeoutS?: number;
  wait: "ssh" | "cloud-init" | "none";
  signal?: AbortSignal;
  run?: Runner;
  /** See WaitOptions.gate. */
  gate?: ReadyGate;
}

/** Waits for the first ssh login (and cloud-init, if asked), timing each; returns the address. */
export async function waitUntilReady(
  conn: Virsh,
  record: InstanceRecord,
  paths: InstancePaths,
  options: ReadyOptions,
  timings: Timings,
  timed: PhaseTimer,
): Promise<string> {
  const ready = await timed("boot", () =>
    waitReady(conn, record, paths, {
      timeoutMs: options.timeoutS * 1000,
      signal: options.signal,
      run: options.run,
      sshConnectTimeoutS: options.sshConnectTimeoutS,
      gate: options.gate,
    }),
  );
  timings.bootToIp = ready.ipMs;
  timings.ipToSsh = ready.sshMs - ready.ipMs;
  if (options.wait === "cloud-init") {
    const left = Math.round(Math.max(options.timeoutS * 1000 - ready.sshMs, 1000));
    await timed("cloudInit", () => waitCloudInit(record, paths, ready.ip, left, options.run));
  }
  return ready.ip;
}
