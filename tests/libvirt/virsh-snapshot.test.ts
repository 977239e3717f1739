import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { AlreadyExistsError, NotFoundError, StateError, ToolError } from "../../lib/errors.ts";
import { defaultUri } from "../../lib/host/paths.ts";
import { run } from "../../lib/host/run.ts";
import { connect, destroyDomain, domainStateByUuid, startDomain, undefineDomain } from "../../lib/libvirt/virsh.ts";
import {
  createDomainSnapshot,
  deleteDomainSnapshot,
  listDomainSnapshots,
  revertDomainSnapshot,
} from "../../lib/libvirt/virsh-snapshot.ts";
import { fakeRunner, fixture, requireTool, useTempDirs } from "../_helpers.ts";
import { useScratchDomains } from "./_scratch-domain.ts";

const URI = "qemu:///system";
const UUID = "6c0dd0b9-36c2-4d73-823a-1f3f56295860";

// Real stderr of virsh 9.0 (qemu:///system, QEMU 7.2) for each snapshot failure.
const EXISTS = "error: operation failed: domain moment s1 already exists\n";
const NO_SNAPSHOT = "error: Domain snapshot not found: no domain snapshot with matching name 'nope'\n";
const PFLASH = "error: Operation not supported: internal snapshots of a VM with pflash based firmware are not supported\n";
const NVME = "error: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:11.0/nvme\n";
const NO_CURRENT = `error: domain '${UUID}' has no current snapshot\n`;
const OTHER = "error: internal error: unable to execute QEMU command 'savevm': Error while writing VM state\n";

const verb = (argv: string[]) => argv.slice(4);

describe("the snapshot wrappers, on a fake virsh", () => {
  test("name the domain by UUID, last, and the snapshot by option", async () => {
    const runner = fakeRunner();
    const conn = connect(URI, runner);
    await createDomainSnapshot(conn, UUID.toUpperCase(), "s1");
    await revertDomainSnapshot(conn, UUID, "s1");
    await revertDomainSnapshot(conn, UUID, "s1", { running: true });
    await deleteDomainSnapshot(conn, UUID, "s1");
    expect(runner.calls.map((c) => verb(c.argv))).toEqual([
      ["snapshot-create-as", "--name", "s1", "--atomic", "--domain", UUID],
      ["snapshot-revert", "--snapshotname", "s1", "--domain", UUID],
      ["snapshot-revert", "--snapshotname", "s1", "--running", "--domain", UUID],
      ["snapshot-delete", "--snapshotname", "s1", "--domain", UUID],
    ]);
  });

  test("refuse a malformed UUID before virsh is asked", async () => {
    const runner = fakeRunner();
    await expect(createDomainSnapshot(connect(URI, runner), "1", "s1")).rejects.toMatchObject({ code: "E_USAGE" });
    expect(runner.calls).toEqual([]);
  });

  const failures: [string, string, new (...args: never[]) => Error, string][] = [
    ["an existing name", EXISTS, AlreadyExistsError, "E_SNAPSHOT_EXISTS"],
    ["an unknown name", NO_SNAPSHOT, NotFoundError, "E_SNAPSHOT_NOT_FOUND"],
    ["pflash (UEFI) firmware", PFLASH, StateError, "E_SNAPSHOT_UNSUPPORTED"],
    ["a device QEMU cannot save", NVME, StateError, "E_SNAPSHOT_UNSUPPORTED"],
    ["any other failure", OTHER, ToolError, "E_TOOL"],
  ];

  test.each(failures)("map %s to its typed error", async (_what, stderr, errorClass, code) => {
    const conn = connect(URI, fakeRunner(() => ({ exitCode: 1, stderr })));
    const error = await createDomainSnapshot(conn, UUID, "s1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).not.toContain("\n");
  });

  test("say why libvirt cannot snapshot, in one line", async () => {
    const conn = connect(URI, fakeRunner(() => ({ exitCode: 1, stderr: NVME })));
    const error = (await createDomainSnapshot(conn, UUID, "s1").catch((e: unknown) => e)) as StateError;
    expect(error.message).toBe("libvirt refused the snapshot: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:11.0/nvme");
  });

  test("listDomainSnapshots sorts oldest first and marks libvirt's current snapshot", async () => {
    const list = await Bun.file(fixture("virsh-snapshot-list.txt")).text();
    const runner = fakeRunner((argv) => (argv.includes("snapshot-list") ? { stdout: list } : { stdout: "a name with  spaces\n" }));
    const snapshots = await listDomainSnapshots(connect(URI, runner), UUID);
    expect(snapshots.map((s) => [s.name, s.current])).toEqual([
      ["s1", false],
      ["a name with  spaces", true],
      ["s2.off_line-2", false],
    ]);
    expect(runner.calls.map((c) => verb(c.argv)).sort()).toEqual([
      ["snapshot-current", "--name", "--domain", UUID],
      ["snapshot-list", "--domain", UUID],
    ]);
  });

  test("listDomainSnapshots: no current snapshot is not an error", async () => {
    const runner = fakeRunner((argv) => (argv.includes("snapshot-list") ? { stdout: "" } : { exitCode: 1, stderr: NO_CURRENT }));
    expect(await listDomainSnapshots(connect(URI, runner), UUID)).toEqual([]);
  });

  test("listDomainSnapshots of a missing domain is a NotFoundError", async () => {
    const stderr = `error: failed to get domain '${UUID}'\nerror: Domain not found: no domain with matching uuid '${UUID}'\n`;
    const conn = connect(URI, fakeRunner(() => ({ exitCode: 1, stderr })));
    await expect(listDomainSnapshots(conn, UUID)).rejects.toBeInstanceOf(NotFoundError);
  });

  test("undefineDomain drops snapshot metadata too, which libvirt would refuse to leave behind", async () => {
    const runner = fakeRunner();
    await undefineDomain(connect(URI, runner), UUID);
    expect(verb(runner.calls[0]!.argv)).toEqual(["undefine", "--nvram", "--tpm", "--snapshots-metadata", UUID]);
  });
});

// Integration with the real libvirt daemon: a user-mode domain on an empty disk under TCG.
// Nothing boots; QEMU saves and loads its memory all the same.
describe("the snapshot wrappers, with libvirt", () => {
  const tempDir = useTempDirs("all");
  const conn = connect(defaultUri());
  const scratchDomain = useScratchDomains(conn, "all");

  test("create, list, revert and delete internal snapshots of a running and a stopped domain", async () => {
    requireTool("virsh", "libvirt-clients");
    const dir = await tempDir();
    const domain = await scratchDomain(dir);
    await startDomain(conn, domain.uuid);

    await createDomainSnapshot(conn, domain.uuid, "live");
    await expect(createDomainSnapshot(conn, domain.uuid, "live")).rejects.toBeInstanceOf(AlreadyExistsError);
    await destroyDomain(conn, domain.uuid);
    await createDomainSnapshot(conn, domain.uuid, "off");
    const listed = await listDomainSnapshots(conn, domain.uuid);
    expect(listed.map(({ name, state, memory, current }) => ({ name, state, memory, current }))).toEqual([
      { name: "live", state: "running", memory: true, current: false },
      { name: "off", state: "shut off", memory: false, current: true },
    ]);
    expect(Math.abs(Date.parse(listed[0]!.createdAt) - Date.now())).toBeLessThan(120_000);
    // The snapshots are inside the qcow2 disk; the read-only seed has none.
    const info = JSON.parse((await run(["qemu-img", "info", "-U", "--output=json", join(dir, "disk.qcow2")])).stdout);
    expect(info.snapshots.map((s: { name: string }) => s.name)).toEqual(["live", "off"]);

    // A snapshot with memory resumes the domain running, even from shut off.
    await revertDomainSnapshot(conn, domain.uuid, "live");
    expect(await domainStateByUuid(conn, domain.uuid)).toBe("running");
    // One without powers it off, unless told to start it again.
    await revertDomainSnapshot(conn, domain.uuid, "off");
    expect(await domainStateByUuid(conn, domain.uuid)).toBe("shut off");
    await revertDomainSnapshot(conn, domain.uuid, "off", { running: true });
    expect(await domainStateByUuid(conn, domain.uuid)).toBe("running");

    await expect(revertDomainSnapshot(conn, domain.uuid, "nope")).rejects.toMatchObject({ code: "E_SNAPSHOT_NOT_FOUND" });
    await deleteDomainSnapshot(conn, domain.uuid, "live");
    await expect(deleteDomainSnapshot(conn, domain.uuid, "live")).rejects.toMatchObject({ code: "E_SNAPSHOT_NOT_FOUND" });
    expect((await listDomainSnapshots(conn, domain.uuid)).map((s) => s.name)).toEqual(["off"]);

    // libvirt refuses to undefine a domain with snapshot metadata; undefineDomain does not.
    await destroyDomain(conn, domain.uuid);
    await undefineDomain(conn, domain.uuid);
    expect(await domainStateByUuid(conn, domain.uuid)).toBeNull();
  }, 120_000);

  test("undefineDomain's --snapshots-metadata is no obstacle for a domain without snapshots", async () => {
    const domain = await scratchDomain(await tempDir());
    expect(await listDomainSnapshots(conn, domain.uuid)).toEqual([]);
    await undefineDomain(conn, domain.uuid);
    expect(await domainStateByUuid(conn, domain.uuid)).toBeNull();
  });
});
