import { statSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { ImageError } from "../errors.ts";
import type { Runner } from "../host/run.ts";
import { checkImageFile } from "../image/check-image-file.ts";
import { createVolume, deleteVolume, refreshPool, uploadVolume, volumeFileSize } from "../libvirt/virsh-pool.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { isLocalUri, type HostPool } from "./host-pool.ts";
import { instanceNames, readRecord, type InstancePaths, type InstanceRecord, type InstanceVolumes } from "./state.ts";

/** The volumes an instance gets in its host's pool; the uuid keeps a killed create's leftovers from clashing. */
export function instanceVolumes(pool: HostPool, record: Pick<InstanceRecord, "name" | "uuid">, seed: boolean): InstanceVolumes {
  const stem = `${record.name}-${record.uuid.slice(0, 8)}`;
  return {
    pool: pool.name,
    poolPath: pool.path,
    disk: `${stem}-disk.qcow2`,
    seed: seed ? `${stem}-seed.iso` : undefined,
    console: `${stem}-console.log`,
  };
}

/** Path of one of the instance's volumes on its host. */
export function volumePath(volumes: InstanceVolumes, name: string): string {
  return join(volumes.poolPath, name);
}

/** What making the root disk did: whether the base image had to be copied to the host first. */
export interface DiskResult {
  uploadedBytes: number;
}

/**
 * The root disk: a qcow2 overlay volume backed by the image. A daemon on this machine opens
 * the cached image where it is; any other host gets it uploaded once, as a volume named by
 * its digest, which every later instance from that image on that host shares.
 */
export async function makeRootDisk(
  conn: Virsh,
  volumes: InstanceVolumes,
  image: { path: string; digest: string },
  options: { size?: number; xmlPath: string; run?: Runner },
): Promise<DiskResult> {
  // A base that references another file is refused before anything opens it (see makeOverlay).
  const base = await checkImageFile(image.path, options.run, { bootable: false });
  if (options.size !== undefined && options.size < base.virtualSize) {
    throw new ImageError(`Disk size ${options.size} bytes is smaller than the image (${base.virtualSize} bytes)`);
  }
  let basePath = image.path;
  let uploadedBytes = 0;
  if (!isLocalUri(conn.uri)) {
    const name = baseVolumeName(image.digest);
    uploadedBytes = await ensureBaseVolume(conn, volumes.pool, name, image.path, `${options.xmlPath}.base`);
    basePath = volumePath(volumes, name);
  }
  const capacity = options.size ?? base.virtualSize;
  await createVolume(conn, volumes.pool, { name: volumes.disk, capacity, format: "qcow2", backing: { path: basePath, format: base.format as "raw" | "qcow2" } }, options.xmlPath);
  return { uploadedBytes };
}

/** The volume a host keeps an image in: its digest, so equal bytes are uploaded once. */
export function baseVolumeName(digest: string): string {
  return `base-sha256-${digest}`;
}

/**
 * Deletes a host's copy of the image `leaving` was made from, unless another instance of the
 * data dir on that host still uses it. A directory without a record is a create in progress
 * (or a killed one): it may be about to use the copy, so the copy stays until clean or the
 * next remove. The data dir's pool on this machine holds no copies: nothing to do there.
 */
export async function releaseBaseVolume(conn: Virsh, dataDir: string, leaving: InstanceRecord): Promise<void> {
  const volumes = leaving.volumes;
  if (!volumes || isLocalUri(conn.uri)) return;
  for (const name of await instanceNames(dataDir)) {
    if (name === leaving.name) continue;
    const other = await readRecord(dataDir, name);
    if (!other) return;
    if (other.uri === leaving.uri && other.volumes?.pool === volumes.pool && other.image.digest === leaving.image.digest) return;
  }
  await deleteVolume(conn, volumes.pool, baseVolumeName(leaving.image.digest));
}

/**
 * Uploads the image unless the host has it whole; returns the bytes sent. A volume of
 * another size is an upload that did not finish (nothing else writes these names): redone.
 */
async function ensureBaseVolume(conn: Virsh, pool: string, name: string, file: string, xmlPath: string): Promise<number> {
  const size = statSync(file).size;
  const present = await volumeFileSize(conn, pool, name);
  if (present === size) return 0;
  if (present !== null) await deleteVolume(conn, pool, name);
  await createVolume(conn, pool, { name, capacity: 0, format: "raw" }, xmlPath).catch(async (error) => {
    // Another create is uploading the same image: it is done when the size is right.
    if ((await volumeFileSize(conn, pool, name)) === null) throw error;
  });
  await uploadVolume(conn, pool, name, file);
  return size;
}

/** Copies the seed (written in the instance directory) into its volume on the host. */
export async function uploadSeed(conn: Virsh, volumes: InstanceVolumes, paths: InstancePaths): Promise<void> {
  if (!volumes.seed) return;
  await createVolume(conn, volumes.pool, { name: volumes.seed, capacity: 0, format: "raw" }, `${paths.domainXml}.seed`);
  await uploadVolume(conn, volumes.pool, volumes.seed, paths.seed);
}

/** Deletes the instance's own volumes (never a shared base image, never anything it did not name). */
export async function deleteInstanceVolumes(conn: Virsh, volumes: InstanceVolumes): Promise<void> {
  // The console log is virtlogd's file: a volume only once the pool has looked again.
  await refreshPool(conn, volumes.pool).catch(() => undefined);
  for (const name of [volumes.disk, volumes.seed, volumes.console]) {
    if (name) await deleteVolume(conn, volumes.pool, name);
  }
}
