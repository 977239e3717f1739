import { describe, expect, test } from "bun:test";
import { removeSnapshot } from "../../lib/instance/remove-snapshot.ts";
import { useTempDirs } from "../_helpers.ts";
import { fakeSnapshotDomain, NAME, UUID } from "./_fake-snapshot-domain.ts";

const tempDir = useTempDirs();

describe("removeSnapshot", () => {
  test("deletes the snapshot by name from the domain named by UUID, and returns it", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "running");
    const result = await removeSnapshot(fake.conn, fake.dataDir, NAME, "off");
    expect(result).toEqual({ instance: NAME, snapshot: { name: "off", createdAt: "2026-12-05T07:50:49.000Z", state: "shut off", memory: false, current: true } });
    expect(fake.verbs().filter((v) => v.startsWith("snapshot-delete"))).toEqual([`snapshot-delete --snapshotname off --domain ${UUID}`]);
    expect(fake.domain.state).toBe("running");
  });

  test.each([
    ["an unknown snapshot", "nope", "E_SNAPSHOT_NOT_FOUND", 4],
    ["a bad snapshot name", "-x", "E_INVALID_SNAPSHOT_NAME", 2],
  ])("%s is refused, and nothing is deleted", async (_what, snapshot, code, exitCode) => {
    const fake = await fakeSnapshotDomain(await tempDir(), "shut off");
    expect(await removeSnapshot(fake.conn, fake.dataDir, NAME, snapshot).catch((e: unknown) => e)).toMatchObject({ code, exitCode });
    expect(fake.verbs().filter((v) => v.startsWith("snapshot-delete"))).toEqual([]);
  });
});
