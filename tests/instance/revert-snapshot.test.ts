import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { domainXml } from "../../lib/instance/_prepare.ts";
import { revertSnapshot } from "../../lib/instance/revert-snapshot.ts";
import { instancePaths, readRecord } from "../../lib/instance/state.ts";
import { useTempDirs } from "../_helpers.ts";
import { fakeSnapshotDomain, NAME, UUID } from "./_fake-snapshot-domain.ts";

const tempDir = useTempDirs();
const noWait = { for: "none" as const, timeoutS: 1 };

describe("revertSnapshot", () => {
  // [instance state, snapshot, revert argv, state after, booted]
  const cases: [string, string, string, string, boolean][] = [
    ["running", "live", `snapshot-revert --snapshotname live --domain ${UUID}`, "running", false],
    ["running", "off", `snapshot-revert --snapshotname off --running --domain ${UUID}`, "running", true],
    ["shut off", "live", `snapshot-revert --snapshotname live --domain ${UUID}`, "running", false],
    ["shut off", "off", `snapshot-revert --snapshotname off --domain ${UUID}`, "shut off", false],
  ];

  test.each(cases)("a %s instance reverted to %p: %s", async (state, snapshot, revert, after, booted) => {
    const fake = await fakeSnapshotDomain(await tempDir(), state);
    const result = await revertSnapshot(fake.conn, fake.dataDir, NAME, snapshot, noWait);
    expect(fake.verbs().filter((v) => v.startsWith("snapshot-revert"))).toEqual([revert]);
    expect(result).toMatchObject({ instance: NAME, snapshot: { name: snapshot, current: true }, state: after, booted, ready: null });
  });

  test("defines the domain from the record again after libvirt put back the snapshot's definition", async () => {
    const dataDir = await tempDir();
    const fake = await fakeSnapshotDomain(dataDir, "running");
    await revertSnapshot(fake.conn, dataDir, NAME, "live", noWait);
    const paths = instancePaths(dataDir, NAME);
    const verbs = fake.verbs();
    expect(verbs.indexOf(`define ${paths.domainXml}`)).toBeGreaterThan(verbs.findIndex((v) => v.startsWith("snapshot-revert")));
    expect(await readFile(paths.domainXml, "utf8")).toBe(domainXml((await readRecord(dataDir, NAME))!, paths, dataDir));
  });

  test("an unknown snapshot is E_SNAPSHOT_NOT_FOUND (exit 4), and nothing is reverted", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    const error = await revertSnapshot(fake.conn, fake.dataDir, NAME, "nope", noWait).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_SNAPSHOT_NOT_FOUND", exitCode: 4, hint: `testcloud snapshot list ${NAME}` });
    expect((error as Error).message).toBe(`Snapshot not found: "nope" of instance "${NAME}"`);
    expect(fake.verbs().filter((v) => !v.startsWith("dominfo") && !v.startsWith("metadata") && !v.startsWith("snapshot-list") && !v.startsWith("snapshot-current"))).toEqual([]);
  });

  test("an instance whose domain is gone is a StateError naming the way out", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    const gone = { ...fake.conn, run: async (argv: string[]) => ({ argv, exitCode: 1, stdout: "", stderr: `error: failed to get domain '${UUID}'\nerror: Domain not found\n` }) };
    const error = await revertSnapshot(gone, fake.dataDir, NAME, "live", noWait).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_STATE", exitCode: 10, hint: `testcloud remove ${NAME}` });
  });
});
