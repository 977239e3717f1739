import { METADATA_NS } from "../libvirt/domain-xml.ts";
import { domainOwner, domainStateByUuid, listDomainSummaries, type DomainSummary, type Virsh } from "../libvirt/virsh.ts";
import type { InstanceRecord } from "./state.ts";

/** A libvirt domain testcloud made, addressed by its UUID. */
export interface OurDomain {
  uuid: string;
  state: string;
}

/**
 * The domain testcloud made for the instance directory `dir`, or null. It is found by the
 * UUID in the instance's record (by name only for a create killed before it wrote its
 * record), and it is ours only when its <metadata> names this very directory: a domain
 * someone else defined under the same name, or with a number virsh reads as an ID, is
 * never stopped, undefined or reported as ours.
 */
export async function ourDomain(
  conn: Virsh,
  dir: string,
  found: { record: InstanceRecord | null; name: string; domains?: DomainSummary[] },
): Promise<OurDomain | null> {
  let uuid = found.record?.uuid;
  if (!uuid) {
    const domains = found.domains ?? (await listDomainSummaries(conn));
    uuid = domains.find((d) => d.name === found.name)?.uuid;
  }
  if (!uuid) return null;
  const [state, owner] = await Promise.all([domainStateByUuid(conn, uuid), domainOwner(conn, uuid, METADATA_NS)]);
  return state !== null && owner === dir ? { uuid, state } : null;
}
