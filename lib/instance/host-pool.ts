import { createHash } from "node:crypto";
import { join } from "../host/posix-path.ts";
import { StateError } from "../errors.ts";
import { createDirPool, poolActive, poolTarget, startPool } from "../libvirt/virsh-pool.ts";
import type { Virsh } from "../libvirt/virsh.ts";

/** The libvirt storage pool on one host that holds a data dir's disks, seeds and console logs. */
export interface HostPool {
  name: string;
  /** Its directory on that host. */
  path: string;
}

/** True for a URI that names no host: the daemon runs here, and can open our image cache. */
export function isLocalUri(uri: string): boolean {
  try {
    return new URL(uri).hostname === "";
  } catch {
    return false;
  }
}

/**
 * Where a data dir's pool is: named after the data dir (so two data dirs, say the e2e suite's,
 * never share one), in the data dir on this machine, under libvirt's images directory elsewhere.
 */
export function hostPoolFor(uri: string, dataDir: string): HostPool {
  const name = `testcloud-${createHash("sha256").update(dataDir).digest("hex").slice(0, 12)}`;
  return { name, path: isLocalUri(uri) ? join(dataDir, "pool") : `/var/lib/libvirt/images/${name}` };
}

/**
 * The data dir's pool on the connection's host, made and started when needed. A pool of that
 * name with another directory is not ours: refused, never changed.
 */
export async function ensureHostPool(conn: Virsh, dataDir: string): Promise<HostPool> {
  const pool = hostPoolFor(conn.uri, dataDir);
  const target = await poolTarget(conn, pool.name);
  if (target === null) {
    await createDirPool(conn, pool.name, pool.path).catch(async (error) => {
      // Another create made it in the meantime: fine if it is the same pool.
      if ((await poolTarget(conn, pool.name)) !== pool.path) throw error;
    });
  } else if (target !== pool.path) {
    throw new StateError(`Storage pool "${pool.name}" exists with another directory: ${JSON.stringify(target)}`, {
      hint: `testcloud uses ${pool.path} for this data dir; it leaves a pool it did not make alone`,
    });
  }
  // Another create may be between its define and its start (or the host rebooted with the
  // pool inactive): start it ourselves, and give a racing create a moment to finish.
  for (let attempt = 0; !(await poolActive(conn, pool.name)); attempt++) {
    if (attempt === 10) throw new StateError(`Storage pool "${pool.name}" does not start`, { hint: `virsh -c ${conn.uri} pool-start ${pool.name}` });
    await startPool(conn, pool.name).catch(() => Bun.sleep(300));
  }
  return pool;
}
