import { writeFile } from "node:fs/promises";
import { generateKeyPair, type KeyPair } from "../host/ssh.ts";
import type { Runner } from "../host/run.ts";
import { renderMetaData, renderUserData } from "../guest/user-data.ts";
import { writeSeed, type SeedFiles } from "../guest/write-seed.ts";
import { renderDomainXml } from "../libvirt/domain-xml.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

/** The instance's ssh key pair and the guest's host key pair, generated before boot. */
export async function makeKeys(record: InstanceRecord, paths: InstancePaths, run?: Runner) {
  const key = await generateKeyPair(paths.key, `testcloud-${record.name}`, run);
  const hostKey = await generateKeyPair(paths.hostKey, `root@${record.name}`, run);
  // The alias, not the IP, names the host: it holds whatever address the guest gets.
  await writeFile(paths.knownHosts, `testcloud-${record.name} ${hostKey.publicKey}\n`);
  return { key, hostKey };
}

/** The NoCloud files for an instance: our user, our keys, a fresh instance-id. */
export function renderSeed(record: InstanceRecord, keys: { key: KeyPair; hostKey: KeyPair }): SeedFiles {
  return {
    userData: renderUserData({ user: record.user, authorizedKeys: [keys.key.publicKey], hostKey: keys.hostKey }),
    metaData: renderMetaData(`iid-${crypto.randomUUID()}`, record.name),
  };
}

/** Writes the seed image plus readable copies of its files for inspection. */
export async function storeSeed(paths: InstancePaths, seed: SeedFiles): Promise<void> {
  // The user-data holds the guest's private host key: owner-only.
  await writeFile(paths.userData, seed.userData, { mode: 0o600 });
  await writeFile(paths.metaData, seed.metaData);
  await writeSeed(paths.seed, seed);
}

/** The domain XML of an instance. */
export function domainXml(record: InstanceRecord, paths: InstancePaths, dataDir: string, vnc = false): string {
  return renderDomainXml({
    ...record,
    uuid: record.uuid,
    overlay: paths.overlay,
    seed: paths.seed,
    consoleLog: paths.consoleLog,
    instanceDir: paths.dir,
    dataDir,
    vnc,
  });
}
