import { writeFile } from "node:fs/promises";
import { NotFoundError, ToolError, UsageError } from "../errors.ts";
import { parseForwardSpec } from "../host/_machine-settings.ts";
import { defineDomain, monitorCommand, type Virsh } from "../libvirt/virsh.ts";
import { forwardSpec, userMode, type Forward, type Machine } from "../machine/machine.ts";
import { repickForwards } from "./_allocate.ts";
import { checkForwards } from "./build-machine.ts";
import { loadInstance } from "./load-instance.ts";
import { domainXml } from "./_prepare.ts";
import { writeRecord } from "./state.ts";

/** The forwards of an instance after a change, and whether the change reached the running guest. */
export interface ForwardResult {
  name: string;
  forwards: Forward[];
  /** True when the running QEMU took the change at once; false when it applies at the next start. */
  live: boolean;
}

/**
 * Lists, adds or removes the host ports forwarded to a user-mode instance. A running
 * instance gets the change at once through QEMU's monitor (hostfwd_add/hostfwd_remove),
 * and every change is kept in the record and the domain definition for the next start.
 */
export async function forwardInstance(conn: Virsh, dataDir: string, name: string, change: { add?: string[]; remove?: string[] } = {}): Promise<ForwardResult> {
  const instance = await loadInstance(conn, dataDir, name);
  const { record } = instance;
  const machine = record.machine;
  if (!userMode(machine)) {
    throw new UsageError(`Instance "${name}" is on a libvirt network, not user mode: its own address is reachable`, { hint: `testcloud info ${name}` });
  }
  const live = instance.state === "running";
  const added = (change.add ?? []).map(parse);
  const removed = (change.remove ?? []).map((spec) => findForward(machine, parse(spec)));
  if (added.length === 0 && removed.length === 0) return { name, forwards: machine.forwards, live };
  const next: Machine = { ...machine, forwards: [...machine.forwards.filter((f) => !removed.includes(f)), ...added] };
  await checkForwards(next, { skipPortCheck: new Set(machine.forwards) });
  await repickForwards(next, next.forwards.flatMap((f, i) => (f.hostPort === 0 ? [i] : [])));
  if (live) {
    for (const f of removed) await monitor(conn, record.uuid, `hostfwd_remove tcnet0 ${f.proto}:${f.hostAddr}:${f.hostPort}`, /removed/i);
    for (const f of added) await monitor(conn, record.uuid, `hostfwd_add tcnet0 ${f.proto}:${f.hostAddr}:${f.hostPort}-:${f.guestPort}`, /^$/);
  }
  record.machine = next;
  await writeRecord(dataDir, record);
  await writeFile(instance.paths.domainXml, domainXml(record, instance.paths, dataDir));
  await defineDomain(conn, instance.paths.domainXml);
  return { name, forwards: next.forwards, live };
}

function parse(spec: string): Forward {
  const forward = parseForwardSpec(spec);
  if (!forward) throw new UsageError(`Invalid forward: ${JSON.stringify(spec)}: expected [HOSTADDR:]HOSTPORT:GUESTPORT[/udp] with ports 1-65535`);
  return forward;
}

function findForward(machine: Machine, wanted: Forward): Forward {
  const found = machine.forwards.find((f) => f.proto === wanted.proto && f.hostAddr === wanted.hostAddr && f.hostPort === wanted.hostPort);
  if (!found) {
    throw new NotFoundError(`No such forward: ${forwardSpec(wanted)}`, { code: "E_FORWARD_NOT_FOUND", hint: "testcloud forward NAME lists them" });
  }
  return found;
}

async function monitor(conn: Virsh, uuid: string, command: string, ok: RegExp): Promise<void> {
  const answer = await monitorCommand(conn, uuid, command);
  if (!ok.test(answer)) throw new ToolError(["virsh", "qemu-monitor-command", uuid, "--hmp", command], 0, answer);
}
