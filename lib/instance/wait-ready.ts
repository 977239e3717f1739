import { InterruptedError, StateError, TimeoutError } from "../errors.ts";
import { probeSsh } from "../host/ssh.ts";
import { sshBannerSeen } from "../host/ssh-banner.ts";
import type { Runner } from "../host/run.ts";
import { domainState, networkLeases, type Virsh } from "../libvirt/virsh.ts";
import { consoleTail } from "./console-tail.ts";
import { sshTarget } from "./describe.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  run?: Runner;
  pollMs?: number;
}

/** When each readiness milestone was reached, in ms since the wait started. */
export interface ReadyResult {
  ip: string;
  ipMs: number;
  sshMs: number;
}

/** Waits until the guest has an address and an ssh login with the instance's key succeeds. */
export async function waitReady(
  conn: Virsh,
  record: InstanceRecord,
  paths: InstancePaths,
  options: WaitOptions,
): Promise<ReadyResult> {
  const start = performance.now();
  const deadline = start + options.timeoutMs;
  const elapsed = () => Math.round(performance.now() - start);
  let phase = "waiting for an IP address";
  let ip: string | null = record.network.mode === "user" ? "127.0.0.1" : null;
  let ipMs = ip ? 0 : -1;
  for (let round = 0; ; round++) {
    if (options.signal?.aborted) throw new InterruptedError(`Interrupted while ${phase}`);
    if (round % 20 === 0) await assertAlive(conn, record, paths, phase);
    if (!ip) {
      ip = await leaseFor(conn, record);
      if (ip) ipMs = elapsed();
    }
    if (ip) {
      phase = "waiting for ssh";
      const target = sshTarget(record, paths, ip);
      // The in-process banner check is cheap; the real login (key + host key) runs once sshd answers.
      if ((await sshBannerSeen(ip, target.port)) && (await probeSsh(target, options.run))) {
        return { ip, ipMs, sshMs: elapsed() };
      }
    }
    if (performance.now() > deadline) {
      throw new TimeoutError(
        `Instance "${record.name}" not ready after ${Math.round(options.timeoutMs / 1000)} s: ${phase}`,
        {
          code: "E_TIMEOUT_BOOT",
          hint: `raise --timeout (the guest runs under ${record.virtType === "kvm" ? "KVM" : "TCG emulation"}); the serial console's last lines are shown above`,
          detail: await consoleTail(paths.consoleLog),
        },
      );
    }
    await Bun.sleep(options.pollMs ?? 100);
  }
}

async function leaseFor(conn: Virsh, record: InstanceRecord): Promise<string | null> {
  if (record.network.mode !== "network") return "127.0.0.1";
  return (await networkLeases(conn, record.network.name)).get(record.mac.toLowerCase()) ?? null;
}

async function assertAlive(conn: Virsh, record: InstanceRecord, paths: InstancePaths, phase: string) {
  const state = await domainState(conn, record.name);
  if (state === "running") return;
  throw new StateError(`Instance "${record.name}" stopped while ${phase}: state is ${state ?? "undefined"}`, {
    code: "E_BOOT_FAILED",
    detail: await consoleTail(paths.consoleLog),
  });
}
