import { describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import type { Runner } from "../../lib/host/run.ts";
import { releaseBaseVolume } from "../../lib/instance/instance-volumes.ts";
import { instancePaths, writeRecord, type InstanceRecord } from "../../lib/instance/state.ts";
import { connect } from "../../lib/libvirt/virsh.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();
const REMOTE = "qemu+ssh://root@lab/system";
const A = "a".repeat(64);
const B = "b".repeat(64);

function record(name: string, digest: string, uri = REMOTE, pool = "testcloud-abc"): InstanceRecord {
  const volumes = { pool, poolPath: `/var/lib/libvirt/images/${pool}`, disk: `${name}-disk.qcow2`, console: `${name}-console.log` };
  return { name, uri, image: { source: "x", digest, path: `/cache/sha256-${digest}` }, volumes } as InstanceRecord;
}

async function dataDirWith(...records: InstanceRecord[]): Promise<string> {
  const dataDir = await tempDir();
  for (const r of records) {
    await mkdir(instancePaths(dataDir, r.name).dir, { recursive: true });
    await writeRecord(dataDir, r);
  }
  return dataDir;
}

/** The virsh calls releaseBaseVolume makes, each answered with success. */
async function callsFor(dataDir: string, leaving: InstanceRecord): Promise<string[][]> {
  const calls: string[][] = [];
  const run: Runner = async (argv) => (calls.push(argv), { argv, exitCode: 0, stdout: "", stderr: "" });
  await releaseBaseVolume(connect(leaving.uri, run), dataDir, leaving);
  return calls;
}

describe("releaseBaseVolume", () => {
  test("deletes the host's copy of the image with its last user", async () => {
    const leaving = record("web", A);
    const calls = await callsFor(await dataDirWith(leaving, record("db", B), record("here", A, "qemu:///system")), leaving);
    expect(calls).toEqual([["virsh", "-q", "-c", REMOTE, "vol-delete", "--pool", "testcloud-abc", `base-sha256-${A}`]]);
  });

  test("keeps it while another instance on that host and pool is made from the same image", async () => {
    const leaving = record("web", A);
    expect(await callsFor(await dataDirWith(leaving, record("db", A)), leaving)).toEqual([]);
  });

  test("keeps it while a create without a record yet may be about to use it", async () => {
    const leaving = record("web", A);
    const dataDir = await dataDirWith(leaving);
    await mkdir(instancePaths(dataDir, "creating").dir, { recursive: true });
    expect(await callsFor(dataDir, leaving)).toEqual([]);
  });

  test("does nothing on this machine's daemon, whose pool holds no copies", async () => {
    const leaving = record("web", A, "qemu:///system");
    expect(await callsFor(await dataDirWith(leaving), leaving)).toEqual([]);
  });
});
