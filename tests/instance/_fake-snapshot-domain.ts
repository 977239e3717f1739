// One instance on disk and a fake virsh that knows its domain and snapshots: the snapshot
// verbs' decisions, tested without libvirt.
import { mkdir } from "node:fs/promises";
import { connect, type Virsh } from "../../lib/libvirt/virsh.ts";
import { instancePaths, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import type { Machine } from "../../lib/machine/machine.ts";
import { fakeRunner, type RunnerCall } from "../_helpers.ts";
import { testMachine } from "../_machine.ts";

export const URI = "qemu:///system";
export const UUID = "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607";
export const NAME = "snappy";

/** `virsh -q snapshot-list` rows to start with: "live" taken running (memory), "off" taken shut off. */
const ROWS = [" live   2026-12-05 07:50:08 +0000   running", " off    2026-12-05 07:50:49 +0000   shutoff"];

export interface FakeDomain {
  dataDir: string;
  conn: Virsh;
  calls: RunnerCall[];
  /** The virsh verbs run, without `virsh -q -c URI`. */
  verbs: () => string[];
  /** The domain's state, changed by the test (or a fake revert). */
  domain: { state: string };
}

export async function fakeSnapshotDomain(dataDir: string, state: string, machine: Partial<Machine> = {}): Promise<FakeDomain> {
  const paths = instancePaths(dataDir, NAME);
  await mkdir(paths.dir, { recursive: true });
  const record: InstanceRecord = {
    name: NAME,
    uuid: UUID,
    uri: URI,
    createdAt: "2026-12-05T07:40:00.000Z",
    user: "cloud-user",
    image: { source: "/images/tiny.qcow2", digest: "0".repeat(64), path: "/images/tiny.qcow2" },
    machine: testMachine(machine),
  };
  await writeRecord(dataDir, record);
  const domain = { state };
  const rows = [...ROWS];
  const runner = fakeRunner((argv) => {
    const [verb, , snapshot] = argv.slice(4);
    if (verb === "dominfo") return { stdout: `UUID:           ${UUID}\nState:          ${domain.state}\n` };
    if (verb === "metadata") return { stdout: `<instance>\n  <dir>${paths.dir}</dir>\n</instance>\n` };
    if (verb === "snapshot-list") return { stdout: rows.join("\n") + "\n" };
    if (verb === "snapshot-current") return { stdout: "off\n" };
    if (verb === "snapshot-create-as") rows.push(` ${snapshot}   2026-12-05 08:00:00 +0000   ${domain.state.replace(" ", "")}`);
    // What libvirt does: a snapshot with memory runs; one without stays off unless --running.
    if (verb === "snapshot-revert") domain.state = snapshot === "live" || argv.includes("--running") ? "running" : "shut off";
    return {};
  });
  return { dataDir, conn: connect(URI, runner), calls: runner.calls, verbs: () => runner.calls.map((c) => c.argv.slice(4).join(" ")), domain };
}
