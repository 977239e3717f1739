import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { checkUuid, uuidBytes, uuidString } from "../../lib/libvirt/_uuid.ts";

describe("domain UUIDs", () => {
  test("checkUuid gives virsh's lowercase form", () => {
    expect(checkUuid("3BED8008-20D1-4A4D-A714-ABCD65B0FDCD")).toBe("3bed8008-20d1-4a4d-a714-abcd65b0fdcd");
  });

  // Each of these would reach virsh as a domain id or name.
  test.each(["1", "tiny", "", "3bed800820d14a4da714abcd65b0fdcd", "{3bed8008-20d1-4a4d-a714-abcd65b0fdcd}", "3bed8008-20d1-4a4d-a714-abcd65b0fdcd\n", "3bed8008-20d1-4a4d-a714-abcd65b0fdcg"])(
    "checkUuid refuses %p with a UsageError",
    (bad) => {
      expect(() => checkUuid(bad)).toThrow(UsageError);
      expect(() => uuidBytes(bad)).toThrow(UsageError);
    },
  );

  test("uuidBytes and uuidString convert both ways, as the RPC protocol sends them", () => {
    const bytes = Uint8Array.from(Buffer.from("3bed800820d14a4da714abcd65b0fdcd", "hex"));
    expect(uuidBytes("3bed8008-20d1-4a4d-a714-abcd65b0fdcd")).toEqual(bytes);
    expect(uuidString(bytes)).toBe("3bed8008-20d1-4a4d-a714-abcd65b0fdcd");
  });
});
