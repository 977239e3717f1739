import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { NotFoundError, StateError } from "../errors.ts";
import { METADATA_NS } from "../libvirt/domain-xml.ts";
import { destroyDomain, domainState, isOurDomain, undefineDomain, type Virsh } from "../libvirt/virsh.ts";
import { validateName } from "./names.ts";
import { instancePaths } from "./state.ts";

/** What `remove` did. */
export interface RemoveResult {
  name: string;
  removedDomain: boolean;
  removedFiles: boolean;
}

/** Removes an instance: its domain (stopping it only with force) and its directory. */
export async function removeInstance(
  conn: Virsh,
  dataDir: string,
  name: string,
  options: { force?: boolean } = {},
): Promise<RemoveResult> {
  validateName(name);
  const { dir } = instancePaths(dataDir, name);
  const hasDir = existsSync(dir);
  let state = await domainState(conn, name);
  // Without our directory, only a domain carrying our metadata is ours to remove.
  if (state && !hasDir && !(await isOurDomain(conn, name, METADATA_NS))) state = null;
  if (!state && !hasDir) {
    throw new NotFoundError(`Instance not found: "${name}"`, { code: "E_INSTANCE_NOT_FOUND", hint: "testcloud list" });
  }
  if (state && state !== "shut off" && !options.force) {
    throw new StateError(`Instance is ${state}: "${name}"`, { hint: `testcloud remove --force ${name}` });
  }
  if (state && state !== "shut off") await destroyDomain(conn, name);
  if (state) await undefineDomain(conn, name);
  if (hasDir) await rm(dir, { recursive: true, force: true });
  return { name, removedDomain: state !== null, removedFiles: hasDir };
}
