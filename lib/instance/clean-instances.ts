import { rm } from "node:fs/promises";
import { domainTitle } from "../libvirt/domain-xml.ts";
import { destroyDomain, listDomainSummaries, undefineDomain, type Virsh } from "../libvirt/virsh.ts";
import { creationInProgress } from "./creation-lock.ts";
import { instanceNames, instancePaths, readRecord } from "./state.ts";

/** One thing `clean` removed. */
export interface Cleaned {
  name: string;
  removed: "directory" | "domain";
  reason: string;
}

/**
 * Drops testcloud state whose other half is gone: directories without a domain
 * and testcloud domains without a directory. libvirt must answer first: an
 * unreachable daemon raises instead of making every instance look gone.
 */
export async function cleanInstances(conn: Virsh, dataDir: string): Promise<Cleaned[]> {
  const domains = await listDomainSummaries(conn);
  const defined = new Set(domains.map((d) => d.name));
  const names = await instanceNames(dataDir);
  const cleaned: Cleaned[] = [];
  for (const name of names) {
    const { dir } = instancePaths(dataDir, name);
    if (creationInProgress(dir)) continue;
    const record = await readRecord(dataDir, name);
    if (record && record.uri !== conn.uri) continue;
    if (record && defined.has(name)) continue;
    // A directory without a record is a create killed before it finished; its domain, if any, goes too.
    if (!record && defined.has(name)) {
      await destroyDomain(conn, name);
      await undefineDomain(conn, name);
    }
    await rm(dir, { recursive: true, force: true });
    cleaned.push({ name, removed: "directory", reason: record ? "domain is gone" : "create did not finish" });
  }
  for (const domain of domains) {
    if (domain.title !== domainTitle(dataDir) || names.includes(domain.name)) continue;
    await destroyDomain(conn, domain.name);
    await undefineDomain(conn, domain.name);
    cleaned.push({ name: domain.name, removed: "domain", reason: "instance directory is gone" });
  }
  return cleaned;
}
