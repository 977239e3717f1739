import { NotFoundError } from "../errors.ts";
import { domainState, type Virsh } from "../libvirt/virsh.ts";
import { validateName } from "./names.ts";
import { instancePaths, readRecord, type InstancePaths, type InstanceRecord } from "./state.ts";

/** An instance as the lifecycle verbs need it: the record, its files and libvirt's state. */
export interface LoadedInstance {
  record: InstanceRecord;
  paths: InstancePaths;
  /** libvirt's state, or null when the domain is gone. */
  state: string | null;
}

/** Loads an instance by name; a clear NotFoundError when testcloud has no such instance. */
export async function loadInstance(conn: Virsh, dataDir: string, name: string): Promise<LoadedInstance> {
  validateName(name);
  const record = await readRecord(dataDir, name);
  if (!record) throw new NotFoundError(`Instance not found: "${name}"`, { code: "E_INSTANCE_NOT_FOUND", hint: "testcloud list" });
  return { record, paths: instancePaths(dataDir, name), state: await domainState(conn, name) };
}
