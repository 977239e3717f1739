import { writeFile } from "node:fs/promises";
import { ToolError } from "../errors.ts";
import { failed, virsh, type Virsh } from "./virsh.ts";
import { el, renderXml } from "./_xml.ts";

// Storage pools and volumes through `virsh -c URI`: the same calls reach a local daemon and
// one on another host, so disks, seed and console log never depend on a path being local.
// Callers pass names of pools and volumes testcloud made (see lib/instance/host-pool.ts).

const NO_POOL = /Storage pool not found|failed to get pool/i;
const NO_VOLUME = /Storage volume not found|failed to get vol/i;

/** The target directory of a pool, or null when there is no such pool. */
export async function poolTarget(conn: Virsh, pool: string): Promise<string | null> {
  const result = await virsh(conn, ["pool-dumpxml", pool], true);
  if (result.exitCode !== 0 && NO_POOL.test(result.stderr)) return null;
  if (result.exitCode !== 0) failed(conn, ["pool-dumpxml", pool], result);
  return /<target>\s*<path>([^<]*)<\/path>/.exec(result.stdout)?.[1]?.replace(/&amp;/g, "&") ?? null;
}

/** True when the pool is started. */
export async function poolActive(conn: Virsh, pool: string): Promise<boolean> {
  return /^State:\s+running/m.test((await virsh(conn, ["pool-info", pool])).stdout);
}

/** Defines a persistent directory pool, makes its directory, starts it and marks it autostart. */
export async function createDirPool(conn: Virsh, pool: string, target: string): Promise<void> {
  await virsh(conn, ["pool-define-as", pool, "dir", "--target", target]);
  await virsh(conn, ["pool-build", pool]);
  await virsh(conn, ["pool-start", pool]);
  await virsh(conn, ["pool-autostart", pool]);
}

/** Starts a defined pool, making its directory first if it is missing (pool-start --build). */
export async function startPool(conn: Virsh, pool: string): Promise<void> {
  await virsh(conn, ["pool-start", "--build", pool]);
}

/** Stops and undefines a pool, removing its directory when it is empty. */
export async function deletePool(conn: Virsh, pool: string): Promise<void> {
  await virsh(conn, ["pool-destroy", pool], true);
  await virsh(conn, ["pool-delete", pool], true);
  await virsh(conn, ["pool-undefine", pool]);
}

/** Rescans the pool's directory: files libvirt did not write itself (virtlogd's logs) become volumes. */
export async function refreshPool(conn: Virsh, pool: string): Promise<void> {
  await virsh(conn, ["pool-refresh", pool]);
}

/** Names of the pool's volumes (after a refresh, so files libvirt did not write are seen). */
export async function listVolumes(conn: Virsh, pool: string): Promise<string[]> {
  await refreshPool(conn, pool);
  const result = await virsh(conn, ["vol-list", "--pool", pool]);
  return result.stdout.split("\n").map((line) => line.trim().split(/\s+/)[0] ?? "").filter(Boolean);
}

/** Size in bytes of the volume's file, or null when the pool has no such volume. */
export async function volumeFileSize(conn: Virsh, pool: string, volume: string): Promise<number | null> {
  const result = await virsh(conn, ["vol-dumpxml", "--pool", pool, volume], true);
  if (result.exitCode !== 0 && NO_VOLUME.test(result.stderr)) return null;
  if (result.exitCode !== 0) failed(conn, ["vol-dumpxml", "--pool", pool, volume], result);
  const size = /<physical unit='bytes'>(\d+)<\/physical>/.exec(result.stdout) ?? /<allocation unit='bytes'>(\d+)<\/allocation>/.exec(result.stdout);
  return size ? Number(size[1]) : null;
}

/** What a new volume is: a raw file of `capacity` bytes, or a qcow2 overlay on `backing`. */
export interface VolumeSpec {
  name: string;
  capacity: number;
  format: "raw" | "qcow2";
  backing?: { path: string; format: "raw" | "qcow2" };
}

/** The <volume> XML of a spec; every value escaped. Volumes are 0600 like every file of ours. */
export function renderVolumeXml(spec: VolumeSpec): string {
  return renderXml(
    el(
      "volume",
      {},
      el("name", {}, spec.name),
      el("capacity", { unit: "bytes" }, String(spec.capacity)),
      el("target", {}, el("format", { type: spec.format }), el("permissions", {}, el("mode", {}, "0600"))),
      spec.backing && el("backingStore", {}, el("path", {}, spec.backing.path), el("format", { type: spec.backing.format })),
    ),
  );
}

/** Creates a volume from a spec (libvirt runs qemu-img on the pool's host for an overlay). */
export async function createVolume(conn: Virsh, pool: string, spec: VolumeSpec, xmlPath: string): Promise<void> {
  await writeFile(xmlPath, renderVolumeXml(spec));
  await virsh(conn, ["vol-create", "--pool", pool, xmlPath]);
}

/** Copies a local file into a volume over the libvirt connection (a stream: no shared filesystem). */
export async function uploadVolume(conn: Virsh, pool: string, volume: string, file: string): Promise<void> {
  await virsh(conn, ["vol-upload", "--pool", pool, volume, file]);
}

/** Copies a volume into a local file; false when the pool has no such volume. */
export async function downloadVolume(conn: Virsh, pool: string, volume: string, file: string): Promise<boolean> {
  const result = await virsh(conn, ["vol-download", "--pool", pool, volume, file], true);
  if (result.exitCode === 0) return true;
  if (NO_VOLUME.test(result.stderr)) return false;
  return failed(conn, ["vol-download", "--pool", pool, volume], result);
}

/** Deletes a volume; one that is already gone is not an error. */
export async function deleteVolume(conn: Virsh, pool: string, volume: string): Promise<void> {
  const result = await virsh(conn, ["vol-delete", "--pool", pool, volume], true);
  if (result.exitCode !== 0 && !NO_VOLUME.test(result.stderr)) throw new ToolError(result.argv, result.exitCode, result.stderr);
}

/** Free memory of the host in bytes (`virsh nodememstats`: free + buffers + cached, as libvirt reports them). */
export async function hostFreeMemory(conn: Virsh): Promise<{ totalBytes: number; freeBytes: number }> {
  const out = (await virsh(conn, ["nodememstats"])).stdout;
  const kib = (key: string) => Number(new RegExp(`^${key}\\s*:\\s*(\\d+) KiB`, "m").exec(out)?.[1] ?? 0) * 1024;
  return { totalBytes: kib("total"), freeBytes: kib("free") + kib("buffers") + kib("cached") };
}
