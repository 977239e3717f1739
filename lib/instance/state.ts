import { closeSync, fsyncSync, openSync } from "node:fs";
import { readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import type { VirtType } from "../host/detect-virt.ts";
import { instanceDir } from "../host/paths.ts";
import type { NetworkSpec } from "../libvirt/domain-xml.ts";

/** What testcloud remembers about an instance, in `<instance dir>/instance.json`. */
export interface InstanceRecord {
  name: string;
  uuid: string;
  uri: string;
  createdAt: string;
  user: string;
  image: { source: string; digest: string; path: string };
  ramMiB: number;
  vcpus: number;
  virtType: VirtType;
  mac: string;
  network: NetworkSpec;
  diskSize: number;
  vnc: boolean;
  /** How the guest is provisioned: a NoCloud seed disk, or Ignition through fw_cfg (CoreOS). */
  provisioning?: "nocloud" | "ignition";
}

/** The files of an instance, all inside its directory. */
export function instancePaths(dataDir: string, name: string) {
  const dir = instanceDir(dataDir, name);
  return {
    dir,
    record: join(dir, "instance.json"),
    overlay: join(dir, "disk.qcow2"),
    seed: join(dir, "seed.iso"),
    consoleLog: join(dir, "console.log"),
    domainXml: join(dir, "domain.xml"),
    key: join(dir, "id_ed25519"),
    hostKey: join(dir, "ssh_host_ed25519_key"),
    knownHosts: join(dir, "known_hosts"),
    metaData: join(dir, "meta-data"),
    userData: join(dir, "user-data"),
    ignition: join(dir, "config.ign"),
  };
}

export type InstancePaths = ReturnType<typeof instancePaths>;

/** Writes the record atomically (temp file, fsync, rename). */
export async function writeRecord(dataDir: string, record: InstanceRecord): Promise<void> {
  const path = instancePaths(dataDir, record.name).record;
  const tmp = `${path}.tmp`;
  await Bun.write(tmp, JSON.stringify(record, null, 2) + "\n");
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  await rename(tmp, path);
}

/** Reads one record, or null when the instance has none (gone, or a create still running). */
export async function readRecord(dataDir: string, name: string): Promise<InstanceRecord | null> {
  const file = Bun.file(instancePaths(dataDir, name).record);
  if (!(await file.exists())) return null;
  try {
    return (await file.json()) as InstanceRecord;
  } catch {
    return null;
  }
}

/** Names of every instance directory. */
export async function instanceNames(dataDir: string): Promise<string[]> {
  const entries = await readdir(join(dataDir, "instances"), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}
