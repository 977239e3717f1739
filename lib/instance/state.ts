// No node:fs here: `list` reads records, and loading node:fs costs start-up time (writeRecord loads it to write).
import { join } from "../host/posix-path.ts";
import { nothingAt } from "../host/nothing-at.ts";
import { instanceDir } from "../host/paths.ts";
import type { Machine } from "../machine/machine.ts";

/** What testcloud remembers about an instance, in `<instance dir>/instance.json`. */
export interface InstanceRecord {
  name: string;
  uuid: string;
  uri: string;
  createdAt: string;
  user: string;
  image: { source: string; digest: string; path: string };
  /** The whole machine, as the domain XML was made from it. */
  machine: Machine;
  /** How the guest is provisioned: a NoCloud seed disk, or Ignition through fw_cfg (CoreOS). */
  provisioning?: "nocloud" | "ignition";
  /** Set when the instance was restored from a template rather than booted. */
  forkedFrom?: ForkOrigin;
  /** Its disks and console log in its host's storage pool; absent in records older than pools, and in forks. */
  volumes?: InstanceVolumes;
}

/** The template (and which of its generations) a fork was restored from. */
export interface ForkOrigin {
  template: string;
  /** The template generation's directory: the fork's disk is an overlay on its disk. */
  dir: string;
  /** The PCIe root port (controller index) the fork's first NIC is plugged into. */
  nicPort: number;
}

/** Where an instance's volumes are on its host (lib/instance/instance-volumes.ts names them). */
export interface InstanceVolumes {
  pool: string;
  /** The pool's directory on the host. */
  poolPath: string;
  disk: string;
  seed?: string;
  console: string;
}

/** The files of an instance, all inside its directory. */
export function instancePaths(dataDir: string, name: string) {
  return filesIn(instanceDir(dataDir, name));
}

/** The files of an instance, or of a template generation (the same names), in `dir`. */
export function filesIn(dir: string) {
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
    nvram: join(dir, "nvram.fd"),
    /** A fork's (or template's) identity, read by the guest through fw_cfg. */
    forkIdentity: join(dir, "fork-identity"),
    /** The extra disk at index i of machine.disks. */
    disk: (i: number) => join(dir, `disk${i + 1}.qcow2`),
    /** The virtiofsd wrapper of a read-only share (tags are checked: letters, digits, "-", "_"). */
    shareHelper: (tag: string) => join(dir, `virtiofsd-${tag}`),
  };
}

export type InstancePaths = ReturnType<typeof instancePaths>;

/** Writes the record atomically (temp file, fsync, rename). */
export async function writeRecord(dataDir: string, record: InstanceRecord): Promise<void> {
  // Loaded when first needed: only verbs that write records pay for node:fs.
  const { writeJson } = await import("./write-json.ts");
  await writeJson(instancePaths(dataDir, record.name).record, record);
}

/** Reads one record, or null when the instance has none (gone, or a create still running). */
export async function readRecord(dataDir: string, name: string): Promise<InstanceRecord | null> {
  const file = Bun.file(instancePaths(dataDir, name).record);
  if (!(await file.exists())) return null;
  try {
    return upgradeRecord(await file.json());
  } catch {
    return null;
  }
}

/** Names of every instance directory. */
export async function instanceNames(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, "instances");
  if (nothingAt(dir)) return [];
  try {
    // "*/" matches directories only, not symlinks to them (followSymlinks is off), as readdir's isDirectory().
    return [...new Bun.Glob("*/").scanSync({ cwd: dir, onlyFiles: false, dot: true })].sort();
  } catch {
    return [];
  }
}

/** A record written before the machine description (0.1: ramMiB, vcpus, mac, network…) reads as one with it. */
function upgradeRecord(raw: InstanceRecord & Record<string, any>): InstanceRecord {
  if (raw.machine) return raw;
  const { ramMiB, vcpus, virtType, mac, network, diskSize, vnc, ...rest } = raw;
  const nic = network?.mode === "user" ? { network: "user", mac, sshPort: network.sshPort } : { network: network?.name, mac };
  return {
    ...rest,
    machine: {
      arch: "x86_64", type: "q35", firmware: "bios", virtType, cpu: "auto", memoryMiB: ramMiB, vcpus,
      rootDiskSize: diskSize ?? 0, disks: [], nics: [nic], isolated: true, forwards: [], shares: [], tpm: false, graphics: vnc ? "vnc" : "none",
    },
  };
}
