import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { validateSnapshotName } from "../../lib/instance/snapshot-name.ts";

describe("validateSnapshotName", () => {
  const valid = ["s1", "S", "1", "before-upgrade", "v1.2.3", "a_b", "_x", "x.", "x-", "a".repeat(64), "UPPER.lower-1_2"];

  test.each(valid)("accepts %p", (name) => {
    expect(validateSnapshotName(name)).toBe(name);
  });

  // A snapshot name goes on virsh's command line and into the qcow2 disks' snapshot tables.
  const invalid: [string, string][] = [
    ["empty", ""],
    ["65 characters", "a".repeat(65)],
    ["a leading dash (an option to virsh)", "-x"],
    ["a double dash", "--current"],
    ["a leading dot", ".hidden"],
    ["a parent directory", ".."],
    ["a space", "before upgrade"],
    ["a slash", "a/b"],
    ["XML metacharacters", "a<b>&'\""],
    ["a trailing newline", "s1\n"],
    ["a tab", "a\tb"],
    ["non-ASCII", "snäp"],
    ["shell characters", "s1;reboot"],
    ["a colon", "a:b"],
  ];

  test.each(invalid)("refuses %s with E_INVALID_SNAPSHOT_NAME (exit 2)", (_what, name) => {
    let error: unknown;
    try {
      validateSnapshotName(name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: "E_INVALID_SNAPSHOT_NAME", exitCode: 2 });
    expect((error as UsageError).message).toBe(`Invalid snapshot name: ${JSON.stringify(name)}`);
    expect((error as UsageError).hint).toContain("1-64 characters");
  });
});
