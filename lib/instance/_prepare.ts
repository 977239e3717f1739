import { writeFile } from "node:fs/promises";
import { generateKeyPair, writeKeyPair, type KeyPair } from "../host/generate-key-pair.ts";
import { join } from "../host/posix-path.ts";
import { buildSeedFiles } from "../guest/build-seed-files.ts";
import { renderIgnition } from "../guest/ignition.ts";
import type { UserInputs } from "../guest/read-user-inputs.ts";
import { writeSeed, type SeedFiles } from "../guest/write-seed.ts";
import { renderDomainXml, type DomainSpec } from "../libvirt/domain-xml.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

/** The instance's ssh key pair and the guest's host key pair, made before boot. */
export interface InstanceKeys {
  key: KeyPair;
  hostKey: KeyPair;
}

/** Fresh keys for an instance, in memory (in-process: no tool to spawn). */
export function makeKeys(record: InstanceRecord): InstanceKeys {
  return { key: generateKeyPair(`testcloud-${record.name}`), hostKey: generateKeyPair(`root@${record.name}`) };
}

/** Writes the keys and the per-instance known_hosts into the instance directory. */
export async function storeKeys(record: InstanceRecord, paths: InstancePaths, keys: InstanceKeys): Promise<void> {
  await Promise.all([
    writeKeyPair(paths.key, keys.key),
    writeKeyPair(paths.hostKey, keys.hostKey),
    // The alias, not the IP, names the host: it holds whatever address the guest gets.
    writeFile(paths.knownHosts, `testcloud-${record.name} ${keys.hostKey.publicKey}\n`),
  ]);
}

/** What the user adds to provisioning (see lib/guest/read-user-inputs.ts). */
export interface Provisioning {
  inputs: UserInputs;
  password?: string;
  /** A password hashed before (a fork's, from its template): wins over `password`. */
  passwordHash?: string;
}

/** The NoCloud files for an instance: our user, our keys, a fresh instance-id, merged with the user's. */
export function renderSeed(
  record: InstanceRecord,
  keys: InstanceKeys,
  provisioning: Provisioning = { inputs: { metaData: {}, sshKeys: [] } },
  options: { forkHook?: boolean; instanceId?: string } = {},
): SeedFiles & { warnings: string[] } {
  return buildSeedFiles(provisioning.inputs, {
    name: record.name,
    user: record.user,
    instanceKey: keys.key.publicKey,
    hostKey: keys.hostKey,
    password: provisioning.password,
    passwordHash: provisioning.passwordHash,
    forkHook: options.forkHook,
    instanceId: options.instanceId,
    shares: record.machine.shares.map(({ tag, readonly }) => ({ tag, readonly })),
  });
}

/** Writes the seed image plus readable copies of its files for inspection. */
export async function storeSeed(paths: InstancePaths, seed: SeedFiles): Promise<void> {
  // user-data (or vendor-data, when the user's passes through) holds the guest's private host key: owner-only.
  await writeFile(paths.userData, seed.userData, { mode: 0o600 });
  await writeFile(paths.metaData, seed.metaData);
  if (seed.vendorData !== undefined) await writeFile(join(paths.dir, "vendor-data"), seed.vendorData, { mode: 0o600 });
  if (seed.networkConfig !== undefined) await writeFile(join(paths.dir, "network-config"), seed.networkConfig);
  await writeSeed(paths.seed, seed);
}

/**
 * The domain XML of an instance: its machine, and where its files are. A fork keeps its
 * template's layout (its first NIC in its own root port, a VM generation ID, the identity
 * file); `layout` is how a template's own domain differs.
 */
export function domainXml(
  record: InstanceRecord,
  paths: InstancePaths,
  dataDir: string,
  layout: Partial<Pick<DomainSpec, "nicPort" | "genid" | "kind" | "name">> = forkLayout(record),
): string {
  const { machine, volumes } = record;
  const inPool = (name: string | undefined, fallback: string) => (volumes && name ? join(volumes.poolPath, name) : fallback);
  return renderDomainXml({
    ...layout,
    name: layout.name ?? record.name,
    uuid: record.uuid,
    createdAt: record.createdAt,
    instanceDir: paths.dir,
    dataDir,
    machine,
    files: {
      rootDisk: inPool(volumes?.disk, paths.overlay),
      seed: record.provisioning === "ignition" ? undefined : inPool(volumes?.seed, paths.seed),
      ignition: record.provisioning === "ignition" ? paths.ignition : undefined,
      forkIdentity: layout.nicPort ? paths.forkIdentity : undefined,
      consoleLog: inPool(volumes?.console, paths.consoleLog),
      nvram: paths.nvram,
      disks: machine.disks.map((_, i) => paths.disk(i)),
      shareHelpers: machine.shares.map((s) => (s.readonly ? paths.shareHelper(s.tag) : undefined)),
    },
  });
}

function forkLayout(record: InstanceRecord): Pick<DomainSpec, "nicPort" | "genid"> {
  // "auto": libvirt gives the fork a new generation ID whenever its memory is restored (a revert).
  return record.forkedFrom ? { nicPort: { index: record.forkedFrom.nicPort, plugged: true }, genid: "auto" } : {};
}

/** CoreOS guests get an Ignition config instead of a seed: the same user, keys and host key. */
export async function storeIgnition(
  record: InstanceRecord,
  paths: InstancePaths,
  keys: InstanceKeys,
  provisioning?: Provisioning,
): Promise<void> {
  const config = renderIgnition({
    hostname: record.name,
    user: record.user,
    authorizedKeys: [keys.key.publicKey, ...(provisioning?.inputs.sshKeys ?? [])],
    hostKey: keys.hostKey,
    password: provisioning?.password,
    userConfig: provisioning?.inputs.ignition,
    shares: record.machine.shares.map(({ tag, readonly }) => ({ tag, readonly })),
  });
  // Holds the host's private key: owner-only (libvirt relabels it for QEMU).
  await writeFile(paths.ignition, config, { mode: 0o600 });
}

/** Ignition for CoreOS images (by source name) or when the user gave --ignition; NoCloud otherwise. */
export function provisioningMode(imageSource: string, provisioning?: Provisioning): "nocloud" | "ignition" {
  if (provisioning?.inputs.ignition !== undefined) return "ignition";
  return /coreos|rhcos/i.test(imageSource) ? "ignition" : "nocloud";
}
