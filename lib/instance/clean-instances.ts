import { rm } from "node:fs/promises";
import { cleanImageCache } from "../image/clean-cache.ts";
import { METADATA_NS } from "../libvirt/domain-xml.ts";
import { domainTitle } from "../libvirt/domain-title.ts";
import { destroyDomain, domainOwner, listDomainSummaries, undefineDomain, type Virsh } from "../libvirt/virsh.ts";
import { cleanTemplateBuilds } from "./clean-template-builds.ts";
import { creationInProgress, creationMarked } from "./creation-in-progress.ts";
import { ourDomain } from "./our-domain.ts";
import { hostPoolFor } from "./host-pool.ts";
import { deleteInstanceVolumes, instanceVolumes } from "./instance-volumes.ts";
import { instanceNames, instancePaths, readRecord } from "./state.ts";

/** One thing `clean` removed: an instance's directory or domain, or a file of the image cache. */
export interface Cleaned {
  name: string;
  removed: "directory" | "domain" | "cache file" | "template build";
  reason: string;
}

/**
 * Drops testcloud state whose other half is gone, or whose create was killed: directories
 * without a domain, the leftovers of an unfinished create or template create, and testcloud
 * domains without a directory. libvirt must answer first: an unreachable daemon raises instead of making
 * every instance look gone. A domain is destroyed only when its <metadata> names the
 * directory it belongs to (see ourDomain).
 */
export async function cleanInstances(conn: Virsh, dataDir: string, imageDir: string): Promise<Cleaned[]> {
  const domains = await listDomainSummaries(conn);
  const names = await instanceNames(dataDir);
  const cleaned: Cleaned[] = [];
  for (const name of names) {
    const { dir } = instancePaths(dataDir, name);
    if (await creationInProgress(dir)) continue;
    const record = await readRecord(dataDir, name);
    if (record && record.uri !== conn.uri) continue;
    // A creation mark whose process is dead: the create was killed before it finished.
    const unfinished = !record || (await creationMarked(dir));
    const domain = await ourDomain(conn, dir, { record, name, domains });
    if (domain && !unfinished) continue;
    if (domain) await removeDomain(conn, domain.uuid, domain.state);
    const uuid = record?.uuid ?? domain?.uuid;
    if (uuid) await removeVolumes(conn, dataDir, name, uuid);
    await rm(dir, { recursive: true, force: true });
    cleaned.push({ name, removed: "directory", reason: unfinished ? "create did not finish" : "domain is gone" });
  }
  for (const domain of domains) {
    if (domain.title !== domainTitle(dataDir) || names.includes(domain.name)) continue;
    if ((await domainOwner(conn, domain.uuid, METADATA_NS)) !== instancePaths(dataDir, domain.name).dir) continue;
    await removeDomain(conn, domain.uuid, domain.state);
    await removeVolumes(conn, dataDir, domain.name, domain.uuid);
    cleaned.push({ name: domain.name, removed: "domain", reason: "instance directory is gone" });
  }
  for (const name of await cleanTemplateBuilds(conn, dataDir)) cleaned.push({ name, removed: "template build", reason: "template create did not finish" });
  for (const debris of cleanImageCache(imageDir)) cleaned.push({ name: debris.path, removed: "cache file", reason: debris.reason });
  return cleaned;
}

async function removeDomain(conn: Virsh, uuid: string, state: string): Promise<void> {
  if (state !== "shut off") await destroyDomain(conn, uuid);
  await undefineDomain(conn, uuid);
}

/** The volumes made for this name and uuid (their names say which), if the pool has them. */
async function removeVolumes(conn: Virsh, dataDir: string, name: string, uuid: string): Promise<void> {
  const volumes = instanceVolumes(hostPoolFor(conn.uri, dataDir), { name, uuid }, true);
  await deleteInstanceVolumes(conn, volumes).catch(() => undefined);
}
