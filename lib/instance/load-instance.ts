import { NotFoundError } from "../errors.ts";
import { retarget, type Virsh } from "../libvirt/virsh.ts";
import { validateName } from "./names.ts";
import { ourDomain } from "./our-domain.ts";
import { instancePaths, readRecord, type InstancePaths, type InstanceRecord } from "./state.ts";

/** An instance as the lifecycle verbs need it: the record, its files and libvirt's state. */
export interface LoadedInstance {
  record: InstanceRecord;
  paths: InstancePaths;
  /** libvirt's state, or null when our domain is gone. */
  state: string | null;
}

/** Loads an instance by name; a clear NotFoundError when testcloud has no such instance. */
export async function loadInstance(conn: Virsh, dataDir: string, name: string): Promise<LoadedInstance> {
  validateName(name);
  const record = await readRecord(dataDir, name);
  if (!record) throw new NotFoundError(`Instance not found: "${name}"`, { code: "E_INSTANCE_NOT_FOUND", hint: "testcloud list" });
  const paths = instancePaths(dataDir, name);
  // The instance lives on the host its record names: every later call on `conn` goes there.
  retarget(conn, record.uri);
  const domain = await ourDomain(conn, paths.dir, { record, name });
  return { record, paths, state: domain?.state ?? null };
}
