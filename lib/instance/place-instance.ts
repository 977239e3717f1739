import { StateError } from "../errors.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";
import { hostFreeMemory } from "../libvirt/virsh-pool.ts";
import { connect } from "../libvirt/virsh.ts";

/** The host `create --host auto` chose, and what it had free. */
export interface Placement {
  name: string;
  uri: string;
  freeBytes: number;
  totalBytes: number;
}

/**
 * Chooses the host with the most free memory (libvirt's node memory statistics) among those
 * where memory in use plus the new instance's stays within `overcommitPercent` of the total.
 * Every host is asked at once; one that fails or does not answer in time is passed over.
 */
export async function placeInstance(
  hosts: Record<string, string>,
  memoryMiB: number,
  options: { overcommitPercent: number; timeoutMs: number; run?: Runner },
): Promise<Placement> {
  const run = options.run ?? defaultRun;
  const bounded: Runner = (argv, o) => run(argv, { ...o, timeoutMs: options.timeoutMs });
  const asked = await Promise.all(
    Object.entries(hosts).map(async ([name, uri]) => {
      const memory = await hostFreeMemory(connect(uri, bounded)).catch(() => null);
      return memory && { name, uri, ...memory };
    }),
  );
  const wanted = memoryMiB * 2 ** 20;
  const fits = asked
    .filter((h): h is Placement => h !== null && h.totalBytes > 0)
    .filter((h) => h.totalBytes - h.freeBytes + wanted <= (h.totalBytes * options.overcommitPercent) / 100)
    .sort((a, b) => b.freeBytes - a.freeBytes || a.name.localeCompare(b.name));
  if (fits[0]) return fits[0];
  const seen = asked.filter((h) => h !== null).map((h) => `${h!.name}: ${Math.floor(h!.freeBytes / 2 ** 20)} MiB free`);
  throw new StateError(`No host has room for ${memoryMiB} MiB within hostMemoryOvercommit (${options.overcommitPercent} %)${seen.length ? `: ${seen.join(", ")}` : ": no host answered"}`, {
    code: "E_NO_HOST",
    hint: "pick one with --host NAME, free memory, or raise hostMemoryOvercommit",
  });
}
