import { StateError, TimeoutError } from "../errors.ts";
// Every call names the domain by the UUID in our record: virsh reads some names as IDs.
import { destroyDomain, domainStateByUuid, resetDomain, shutdownDomain, startDomain, type Virsh } from "../libvirt/virsh.ts";
import { loadInstance } from "./load-instance.ts";
import { assertRunning } from "./ssh-target.ts";

/** What a power verb did: the state the instance ended in. */
export interface PowerResult {
  name: string;
  state: string;
  changed: boolean;
}

/** Starts a stopped instance; starting a running one changes nothing. */
export async function startInstance(conn: Virsh, dataDir: string, name: string): Promise<PowerResult> {
  const instance = await loadInstance(conn, dataDir, name);
  if (!instance.state) throw new StateError(`Instance has no libvirt domain: "${name}"`, { hint: `testcloud remove ${name}` });
  if (instance.state === "running") return { name, state: "running", changed: false };
  await startDomain(conn, instance.record.uuid);
  return { name, state: "running", changed: true };
}

/** Hard power-off (pulls the plug); idempotent. */
export async function stopInstance(conn: Virsh, dataDir: string, name: string): Promise<PowerResult> {
  const instance = await loadInstance(conn, dataDir, name);
  if (instance.state !== "running" && instance.state !== "paused") {
    return { name, state: instance.state ?? "missing", changed: false };
  }
  await destroyDomain(conn, instance.record.uuid);
  return { name, state: "shut off", changed: true };
}

/**
 * Graceful ACPI shutdown, waiting up to `timeoutS`. Falls back to a hard
 * power-off only when `force` is set; otherwise a guest that ignores ACPI is a timeout.
 */
export async function shutdownInstance(
  conn: Virsh,
  dataDir: string,
  name: string,
  options: { timeoutS: number; force?: boolean; signal?: AbortSignal },
): Promise<PowerResult & { forced: boolean }> {
  const instance = await loadInstance(conn, dataDir, name);
  if (instance.state !== "running") return { name, state: instance.state ?? "missing", changed: false, forced: false };
  const { uuid } = instance.record;
  await shutdownDomain(conn, uuid);
  const deadline = performance.now() + options.timeoutS * 1000;
  let lastAsked = performance.now();
  while (performance.now() < deadline && !options.signal?.aborted) {
    if ((await domainStateByUuid(conn, uuid)) === "shut off") return { name, state: "shut off", changed: true, forced: false };
    // An early ACPI event can be lost while the guest is still booting: ask again now and then.
    if (performance.now() - lastAsked > 10_000) {
      await shutdownDomain(conn, uuid).catch(() => {});
      lastAsked = performance.now();
    }
    await Bun.sleep(250);
  }
  if (options.force) {
    await destroyDomain(conn, uuid);
    return { name, state: "shut off", changed: true, forced: true };
  }
  throw new TimeoutError(`Instance did not shut down within ${options.timeoutS} s: "${name}"`, {
    code: "E_TIMEOUT_SHUTDOWN",
    hint: `testcloud shutdown --force ${name}  (or testcloud stop ${name})`,
  });
}

/** Hard reset of a running instance, like pressing its reset button. */
export async function resetInstance(conn: Virsh, dataDir: string, name: string): Promise<PowerResult> {
  const instance = await loadInstance(conn, dataDir, name);
  assertRunning(instance);
  await resetDomain(conn, instance.record.uuid);
  return { name, state: "running", changed: true };
}
