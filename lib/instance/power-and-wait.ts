import type { Virsh } from "../libvirt/virsh.ts";
import type { PowerResult } from "./power.ts";
import { waitInstance, type WaitFor, type WaitResult } from "./wait-instance.ts";

/** Runs a power verb, then (unless told not to) waits for the guest to be ready again. */
export async function powerAndWait(
  conn: Virsh,
  dataDir: string,
  name: string,
  power: () => Promise<PowerResult>,
  wait: { for: WaitFor | "none"; timeoutS: number; signal?: AbortSignal; sshConnectTimeoutS?: number },
): Promise<PowerResult & { ready: WaitResult | null }> {
  const result = await power();
  if (wait.for === "none") return { ...result, ready: null };
  const ready = await waitInstance(conn, dataDir, name, { ...wait, for: wait.for });
  return { ...result, ready };
}
