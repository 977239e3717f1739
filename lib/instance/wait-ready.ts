import { sshNic, userMode } from "../machine/machine.ts";
import { InterruptedError, LibvirtUnavailableError, StateError, TimeoutError } from "../errors.ts";
import { probeSsh } from "../host/ssh.ts";
import { sshBanner } from "../host/ssh-banner.ts";
import type { Runner } from "../host/run.ts";
import { domainStateByUuid, type Virsh } from "../libvirt/virsh.ts";
import { networkLeases } from "../libvirt/virsh-network.ts";
import { bootProblem } from "./boot-problem.ts";
import { instanceConsoleTail } from "./console-log.ts";
import { isLocalUri } from "./host-pool.ts";
import { sshTarget } from "./describe.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  run?: Runner;
  /** Pause between rounds while waiting for an address (default 100 ms); ssh is polled 4x as often. */
  pollMs?: number;
  /** ssh's ConnectTimeout for each login attempt (the sshConnectTimeout setting; default 3 s). */
  sshConnectTimeoutS?: number;
  /**
   * What must hold before the first ssh attempt (a fork: its hook said that its network is
   * up), asked each round for up to `withinMs`; then ssh is tried anyway.
   */
  gate?: ReadyGate;
}

/** See WaitOptions.gate. */
export interface ReadyGate {
  open: () => Promise<boolean>;
  withinMs: number;
}

/** How often the domain's state is checked, so a crashed guest fails fast instead of timing out. */
const ALIVE_CHECK_MS = 2000;

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
  let ip: string | null = userMode(record.machine) ? "127.0.0.1" : null;
  let ipMs = ip ? 0 : -1;
  const pollMs = options.pollMs ?? 100;
  let aliveCheckedAt = -Infinity;
  let silentTries = 0;
  let libvirtDown: LibvirtUnavailableError | null = null;
  let gate = options.gate;
  let trusted = false;
  for (;;) {
    let pause = pollMs;
    if (options.signal?.aborted) throw new InterruptedError(`Interrupted while ${phase}`);
    try {
      // A remote host's answers cost an ssh session each: asked less often.
      if (performance.now() - aliveCheckedAt >= (isLocalUri(record.uri) ? ALIVE_CHECK_MS : 5 * ALIVE_CHECK_MS)) {
        await assertAlive(conn, record, paths, phase);
        aliveCheckedAt = performance.now();
      }
      if (!ip) {
        ip = await leaseFor(conn, record);
        if (ip) ipMs = elapsed();
      }
      libvirtDown = null;
    } catch (error) {
      // libvirtd restarting (an upgrade, a crash) leaves the guest running: wait for it.
      if (!(error instanceof LibvirtUnavailableError)) throw error;
      libvirtDown = error;
    }
    if (ip && gate) {
      // Opened by the guest's word, the gate stands for the banner check: the login goes first.
      if (await gate.open()) trusted = true;
      if (trusted || elapsed() >= gate.withinMs) gate = undefined;
      else pause = pollMs / 4;
    }
    if (ip && !gate) {
      phase = "waiting for ssh";
      const target = sshTarget(record, paths, ip);
      // The in-process banner check is one local TCP connect: cheap enough to poll 4x as
      // often, since every ms between sshd coming up and our login is create's overhead.
      // The real login (key + host key) runs once sshd answers, at the normal pace: a
      // guest whose sshd is up before its keys are (cloud-init) must not be flooded.
      // A handshake that does not finish in 100 ms is tried again at once (see sshBanner);
      // after 20 such tries in a row each may take 2 s, so a slow but live guest gets through.
      // On a libvirt network the handshake is the guest's own, so it proves sshd listens;
      // waiting for the greeting too would add a process start in the guest (slow under TCG).
      // Behind a jump host the address is not ours to connect to: the login tries alone;
      // so it does first when the guest said it is up (the gate).
      const banner = target.jump || trusted
        ? "ssh"
        : await sshBanner(ip, target.port, {
            connectTimeoutMs: silentTries >= 20 ? 2000 : 100,
            connectIsEnough: !userMode(record.machine),
          });
      trusted = false;
      silentTries = banner === "connect-timeout" ? silentTries + 1 : 0;
      if (banner !== "ssh") pause = banner === "connect-timeout" ? 0 : pollMs / 4;
      else if (await probeSsh(target, options.run, options.sshConnectTimeoutS)) return { ip, ipMs, sshMs: elapsed() };
    }
    if (performance.now() > deadline) {
      if (libvirtDown) throw libvirtDown;
      throw new TimeoutError(
        `Instance "${record.name}" not ready after ${Math.round(options.timeoutMs / 1000)} s: ${phase}`,
        {
          code: "E_TIMEOUT_BOOT",
          hint: `raise --timeout (the guest runs under ${record.machine.virtType === "kvm" ? "KVM" : "TCG emulation"}); the serial console's last lines are shown above`,
          detail: await instanceConsoleTail(conn, record, paths).catch(() => []),
        },
      );
    }
    await Bun.sleep(pause);
  }
}

async function leaseFor(conn: Virsh, record: InstanceRecord): Promise<string | null> {
  const nic = sshNic(record.machine);
  if (nic.network === "user") return "127.0.0.1";
  return (await networkLeases(conn, nic.network)).get(nic.mac.toLowerCase()) ?? null;
}

/** Fails fast when the domain stopped, or when its firmware said it cannot boot the image. */
async function assertAlive(conn: Virsh, record: InstanceRecord, paths: InstancePaths, phase: string) {
  const state = await domainStateByUuid(conn, record.uuid);
  const tail = await instanceConsoleTail(conn, record, paths, 40);
  const problem = bootProblem(tail, record.machine.firmware, record.machine.arch);
  if (state === "running" && !problem) return;
  const why = problem?.message ?? `stopped while ${phase}: state is ${state ?? "undefined"}`;
  throw new StateError(`Instance "${record.name}" cannot boot: ${why}`, { code: "E_BOOT_FAILED", hint: problem?.hint, detail: tail.slice(-15) });
}
