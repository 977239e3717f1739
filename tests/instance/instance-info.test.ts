import { describe, expect, test } from "bun:test";
import { instanceInfo } from "../../lib/instance/instance-info.ts";
import { useTempDirs } from "../_helpers.ts";
import { fakeSnapshotDomain, NAME, UUID } from "./_fake-snapshot-domain.ts";

const tempDir = useTempDirs();

describe("instanceInfo", () => {
  test("lists the instance's snapshots, oldest first, the current one marked", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "shut off");
    const info = await instanceInfo(fake.conn, fake.dataDir, NAME);
    expect(info).toMatchObject({ name: NAME, state: "shut off" });
    expect(info.snapshots).toEqual([
      { name: "live", createdAt: "2026-12-05T07:50:08.000Z", state: "running", memory: true, current: false },
      { name: "off", createdAt: "2026-12-05T07:50:49.000Z", state: "shut off", memory: false, current: true },
    ]);
  });

  test("has no snapshots, and asks for none, when the domain is gone", async () => {
    const fake = await fakeSnapshotDomain(await tempDir(), "shut off");
    const gone = { ...fake.conn, run: async (argv: string[]) => {
      fake.calls.push({ argv, options: {} });
      return { argv, exitCode: 1, stdout: "", stderr: `error: failed to get domain '${UUID}'\nerror: Domain not found\n` };
    } };
    const info = await instanceInfo(gone, fake.dataDir, NAME);
    expect(info).toMatchObject({ state: "missing", snapshots: [] });
    expect(fake.verbs().filter((v) => v.startsWith("snapshot"))).toEqual([]);
  });
});
