import { NotFoundError, StateError } from "../errors.ts";
import type { SshTarget } from "../host/ssh.ts";
import { domainState, networkLeases, type Virsh } from "../libvirt/virsh.ts";
import { sshTarget } from "./describe.ts";
import { validateName } from "./names.ts";
import { instancePaths, readRecord } from "./state.ts";

/** How to reach a running instance over ssh; clear errors when it is missing or stopped. */
export async function resolveSshTarget(conn: Virsh, dataDir: string, name: string): Promise<SshTarget> {
  validateName(name);
  const record = await readRecord(dataDir, name);
  if (!record) throw new NotFoundError(`Instance not found: "${name}"`, { code: "E_INSTANCE_NOT_FOUND", hint: "testcloud list" });
  const state = await domainState(conn, name);
  if (state !== "running") {
    throw new StateError(`Instance is not running: "${name}" is ${state ?? "not defined in libvirt"}`, {
      code: "E_NOT_RUNNING",
      hint: `testcloud start ${name}`,
    });
  }
  const paths = instancePaths(dataDir, name);
  if (record.network.mode === "user") return sshTarget(record, paths, "127.0.0.1");
  const ip = (await networkLeases(conn, record.network.name)).get(record.mac.toLowerCase());
  if (!ip) throw new StateError(`Instance has no IP address yet: "${name}"`, { hint: `testcloud wait ${name}` });
  return sshTarget(record, paths, ip);
}
