import type { Virsh } from "../libvirt/virsh.ts";
import { phase, type EventSink } from "./events.ts";
import type { PowerResult } from "./power.ts";
import { waitInstance, type WaitFor, type WaitResult } from "./wait-instance.ts";

/** Runs a power verb, then (unless told not to) waits for the guest to be ready again. */
export async function powerAndWait(
  conn: Virsh,
  dataDir: string,
  name: string,
  power: () => Promise<PowerResult>,
  wait: { for: WaitFor | "none"; timeoutS: number; defaultTimeout?: boolean; signal?: AbortSignal; sshConnectTimeoutS?: number; onEvent?: EventSink },
): Promise<PowerResult & { ready: WaitResult | null }> {
  const started = performance.now();
  const result = await phase("power", power, wait.onEvent);
  if (wait.for === "none") return { ...result, ready: null };
  const ready = await phase("wait", () => waitInstance(conn, dataDir, name, { ...wait, for: wait.for as WaitFor }), wait.onEvent);
  wait.onEvent?.({ event: "ready", name, ip: ready.ip, ms: Math.round(performance.now() - started) });
  return { ...result, ready };
}
