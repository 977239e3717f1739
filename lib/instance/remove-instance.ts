import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { NotFoundError, StateError } from "../errors.ts";
import { destroyDomain, retarget, undefineDomain, type Virsh } from "../libvirt/virsh.ts";
import { validateName } from "./names.ts";
import { ourDomain } from "./our-domain.ts";
import { deleteInstanceVolumes, releaseBaseVolume } from "./instance-volumes.ts";
import { deletePool, listVolumes } from "../libvirt/virsh-pool.ts";
import type { InstanceRecord, InstanceVolumes } from "./state.ts";
import { instancePaths, readRecord } from "./state.ts";

/** What `remove` did. */
export interface RemoveResult {
  name: string;
  removedDomain: boolean;
  removedFiles: boolean;
}

/**
 * Removes an instance: its domain (stopping it only with force) and its directory.
 * Only the domain testcloud made for this directory is touched (see ourDomain): a
 * foreign domain of the same name stays, and is not even stopped.
 */
export async function removeInstance(
  conn: Virsh,
  dataDir: string,
  name: string,
  options: { force?: boolean } = {},
): Promise<RemoveResult> {
  validateName(name);
  const { dir } = instancePaths(dataDir, name);
  const hasDir = existsSync(dir);
  const record = hasDir ? await readRecord(dataDir, name) : null;
  if (record) retarget(conn, record.uri);
  const domain = await ourDomain(conn, dir, { record, name });
  if (!domain && !hasDir) {
    throw new NotFoundError(`Instance not found: "${name}"`, { code: "E_INSTANCE_NOT_FOUND", hint: "testcloud list" });
  }
  const running = domain !== null && domain.state !== "shut off";
  if (running && !options.force) {
    throw new StateError(`Instance is ${domain.state}: "${name}"`, { hint: `testcloud remove --force ${name}` });
  }
  if (running) await destroyDomain(conn, domain.uuid);
  if (domain) await undefineDomain(conn, domain.uuid);
  if (record?.volumes) await removeVolumes(conn, dataDir, record, record.volumes);
  if (hasDir) await rm(dir, { recursive: true, force: true });
  return { name, removedDomain: domain !== null, removedFiles: hasDir };
}

/**
 * Deletes the instance's volumes from its host's pool, and the host's copy of its image when
 * no other instance uses it; the pool goes with its last volume, leaving nothing on the host.
 * (A second create from the same image uploads nothing only while an instance keeps the copy.)
 */
async function removeVolumes(conn: Virsh, dataDir: string, record: InstanceRecord, volumes: InstanceVolumes): Promise<void> {
  await deleteInstanceVolumes(conn, volumes);
  await releaseBaseVolume(conn, dataDir, record);
  const left = await listVolumes(conn, volumes.pool).catch(() => ["?"]);
  if (left.length === 0) await deletePool(conn, volumes.pool).catch(() => undefined);
}
