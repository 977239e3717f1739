import { describe, expect, test } from "bun:test";
import { StateError } from "../../lib/errors.ts";
import { createSnapshot } from "../../lib/instance/create-snapshot.ts";
import { connect } from "../../lib/libvirt/virsh.ts";
import { fakeRunner, useTempDirs } from "../_helpers.ts";
import { fakeSnapshotDomain, NAME, URI, UUID } from "./_fake-snapshot-domain.ts";

const tempDir = useTempDirs();
const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);

describe("createSnapshot", () => {
  test("snapshots a running instance with its memory, and returns the snapshot as libvirt lists it", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    const result = await createSnapshot(fake.conn, fake.dataDir, NAME, "s1");
    expect(result).toEqual({ instance: NAME, snapshot: { name: "s1", createdAt: "2026-12-05T08:00:00.000Z", state: "running", memory: true, current: false } });
    expect(fake.verbs()).toContain(`snapshot-create-as --name s1 --atomic --domain ${UUID}`);
  });

  test("snapshots a stopped instance's disks only", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "shut off");
    const result = await createSnapshot(fake.conn, fake.dataDir, NAME, "s1");
    expect(result.snapshot).toMatchObject({ state: "shut off", memory: false });
  });

  const refused: [string, Parameters<typeof fakeSnapshotDomain>[2], RegExp][] = [
    ["a UEFI instance (libvirt 9 refuses raw pflash NVRAM)", { firmware: "uefi" }, /UEFI/],
    ["a Secure Boot instance", { firmware: "uefi-secure" }, /UEFI/],
    ["an instance with an NVMe disk (libvirt does not know it)", { disks: [{ sizeBytes: 1 << 20, serial: "n1", bus: "nvme" }] }, /NVMe/],
  ];

  test.each(refused)("refuses %s before libvirt is asked to snapshot", async (_what, machine, message) => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running", machine);
    const error = await failure(createSnapshot(fake.conn, fake.dataDir, NAME, "s1"));
    expect(error).toBeInstanceOf(StateError);
    expect(error).toMatchObject({ code: "E_SNAPSHOT_UNSUPPORTED", exitCode: 10 });
    expect((error as Error).message).toMatch(message);
    expect(fake.verbs().filter((v) => v.startsWith("snapshot-create"))).toEqual([]);
  });

  test("virtio and SCSI extra disks are snapshotted with the root disk", async () => {
    const disks = [{ sizeBytes: 1 << 20, serial: "v1", bus: "virtio" as const }, { sizeBytes: 1 << 20, serial: "s1", bus: "scsi" as const }];
    const fake = await fakeSnapshotDomain(await tempDir(), "running", { disks });
    expect((await createSnapshot(fake.conn, fake.dataDir, NAME, "s1")).snapshot.name).toBe("s1");
  });

  test("an existing snapshot name is E_SNAPSHOT_EXISTS (exit 5), and nothing is made", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    const error = await failure(createSnapshot(fake.conn, fake.dataDir, NAME, "live"));
    expect(error).toMatchObject({ code: "E_SNAPSHOT_EXISTS", exitCode: 5, hint: `testcloud snapshot remove ${NAME} live` });
    expect(fake.verbs().filter((v) => v.startsWith("snapshot-create"))).toEqual([]);
  });

  test.each([
    ["a bad snapshot name", NAME, "bad name", "E_INVALID_SNAPSHOT_NAME"],
    ["a bad instance name", "1", "s1", "E_INVALID_NAME"],
  ])("%s is refused before virsh runs", async (_what, name, snapshot, code) => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    expect(await failure(createSnapshot(fake.conn, fake.dataDir, name, snapshot))).toMatchObject({ code, exitCode: 2 });
    expect(fake.calls).toEqual([]);
  });

  test("an unknown instance is E_INSTANCE_NOT_FOUND (exit 4)", async () => {
    const conn = connect(URI, fakeRunner());
    expect(await failure(createSnapshot(conn, await tempDir(), "nosuch", "s1"))).toMatchObject({ code: "E_INSTANCE_NOT_FOUND", exitCode: 4 });
  });

  test("a device QEMU cannot save only stops a running instance's snapshot: the hint is to stop it", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    const stderr = "error: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:01.0:00.0/vhost-user-fs\n";
    const conn = connect(URI, async (argv, options) => {
      if (argv.includes("snapshot-create-as")) return { argv, exitCode: 1, stdout: "", stderr };
      return fake.conn.run(argv, options);
    });
    const error = await failure(createSnapshot(conn, fake.dataDir, NAME, "s1"));
    expect(error).toMatchObject({ code: "E_SNAPSHOT_UNSUPPORTED", hint: `testcloud stop ${NAME}, then snapshot its disks` });
    expect((error as Error).message).toStartWith(`Cannot snapshot "${NAME}" while it runs: libvirt refused the snapshot: `);
  });
});
