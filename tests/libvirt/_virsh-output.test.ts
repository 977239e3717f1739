import { describe, expect, test } from "bun:test";
import { parseDomainList, parseDomainTitles, parseDomainUuids, parseDominfo, parseLeases, parseSnapshotList } from "../../lib/libvirt/_virsh-output.ts";
import { fixture } from "../_helpers.ts";

const read = (name: string) => Bun.file(fixture(name)).text();

describe("parseDomainList", () => {
  test("reads names and states from `virsh -q list --all`", async () => {
    // Captured from virsh 9.0: one running and one defined-but-off domain.
    expect(parseDomainList(await read("virsh-list-all.txt"))).toEqual(
      new Map([
        ["tc-capture-run", "running"],
        ["tc-capture-off", "shut off"],
      ]),
    );
  });

  test("keeps multi-word states such as 'in shutdown'", () => {
    expect(parseDomainList(" 7    web-1   in shutdown\n")).toEqual(new Map([["web-1", "in shutdown"]]));
  });

  test("is empty for the empty output of a host without domains", () => {
    expect(parseDomainList("")).toEqual(new Map());
    expect(parseDomainList("\n")).toEqual(new Map());
  });
});

describe("parseLeases", () => {
  test("maps each MAC to its IPv4 address, ignoring IPv6 leases", async () => {
    // virsh 9.0 `net-dhcp-leases -q` column format.
    expect(parseLeases(await read("virsh-net-dhcp-leases.txt"))).toEqual(
      new Map([
        ["52:54:00:aa:bb:cc", "192.168.250.10"],
        ["52:54:00:11:22:33", "192.168.250.11"],
        ["52:54:00:de:ad:01", "192.168.250.12"],
      ]),
    );
  });

  test("lowercases MAC addresses", () => {
    const line = " 2026-11-25 22:10:33   52:54:00:AA:BB:CC   ipv4   10.0.0.5/24   h   -\n";
    expect(parseLeases(line)).toEqual(new Map([["52:54:00:aa:bb:cc", "10.0.0.5"]]));
  });

  test("is empty when there are no leases", () => {
    expect(parseLeases("")).toEqual(new Map());
  });
});

// Captured from virsh 9.0 on the test driver with tests/fixtures/virsh-test-driver-node.xml.
describe("parseDomainTitles and parseDomainUuids", () => {
  test("read names with spaces, states and titles from the table's columns", async () => {
    expect(parseDomainTitles(await read("virsh-list-all-title.txt"))).toEqual([
      { name: "tc run 1", state: "running", title: "testcloud instance in /var/lib/testcloud" },
      { name: "web", state: "paused", title: "someone else's" },
      { name: "42", state: "shut off", title: "" },
      { name: "5d7e0c55-6a8f-4b7a-9c1e-2f3a4b5c6d7e", state: "shut off", title: "" },
    ]);
  });

  test("read each UUID with the rest of its line as the name", async () => {
    expect(parseDomainUuids(await read("virsh-list-all-uuid-name.txt"))).toEqual(
      new Map([
        ["tc run 1", "8e1d3c1a-5b0e-4f8e-9d7c-0a1b2c3d4e5f"],
        ["web", "f00dcafe-0000-4000-8000-00000000beef"],
        ["42", "0b5e7a52-1111-4222-8333-444455556666"],
        // A name that looks like a UUID is still a name.
        ["5d7e0c55-6a8f-4b7a-9c1e-2f3a4b5c6d7e", "9a9a9a9a-0000-4000-8000-000000000001"],
      ]),
    );
  });

  test("are empty for a host without domains", () => {
    expect(parseDomainTitles(" Id   Name   State   Title\n-------------------------\n\n")).toEqual([]);
    expect(parseDomainUuids("")).toEqual(new Map());
  });
});

describe("parseDominfo", () => {
  test("reads fields whose names hold spaces and whose values may be empty", async () => {
    // Captured from virsh 9.0 `dominfo UUID` on the system daemon, a defined domain named "tcrpc-cap a b".
    const info = parseDominfo(await read("virsh-dominfo.txt"));
    expect(info.get("Name")).toBe("tcrpc-cap a b");
    expect(info.get("UUID")).toBe("0b5e7a52-1111-4222-8333-444455556666");
    expect(info.get("State")).toBe("shut off");
    expect(info.get("OS Type")).toBe("hvm");
  });

  test("keeps the first of a repeated field", () => {
    expect(parseDominfo("UUID:  a\nUUID:  b\n").get("UUID")).toBe("a");
  });
});

describe("parseSnapshotList", () => {
  // Captured from virsh 9.0: a snapshot of a running domain, then two of it shut off.
  const expected = [
    { name: "a name with  spaces", createdAt: "2026-12-05T07:50:49.000Z", state: "shut off", memory: false },
    { name: "s1", createdAt: "2026-12-05T07:50:08.000Z", state: "running", memory: true },
    { name: "s2.off_line-2", createdAt: "2026-12-05T07:50:49.000Z", state: "shut off", memory: false },
  ];

  test("reads name, creation time, state and memory from `virsh -q snapshot-list`", async () => {
    expect(parseSnapshotList(await read("virsh-snapshot-list.txt"))).toEqual(expected);
  });

  test("reads the creation time in the local time zone virsh printed it in as UTC", async () => {
    // The same snapshots listed with TZ=America/New_York: "02:50:49 -0500".
    expect(parseSnapshotList(await read("virsh-snapshot-list-tz.txt"))).toEqual(expected);
  });

  test("is empty for a domain without snapshots", () => {
    expect(parseSnapshotList("")).toEqual([]);
    expect(parseSnapshotList("\n")).toEqual([]);
  });

  test("takes the last time column, so a name may look like a row", () => {
    const line = " x   2020-01-01 00:00:00 +0000   running   2026-12-05 07:50:08 +0000   shutoff\n";
    expect(parseSnapshotList(line)).toEqual([{ name: "x   2020-01-01 00:00:00 +0000   running", createdAt: "2026-12-05T07:50:08.000Z", state: "shut off", memory: false }]);
  });

  test.each([
    ["paused", true],
    ["running", true],
    ["shutoff", false],
    ["disk-snapshot", false],
  ])("a snapshot taken %s holds memory: %p", (state, memory) => {
    expect(parseSnapshotList(` s   2026-12-05 07:50:08 +0130   ${state}\n`)).toEqual([
      { name: "s", createdAt: "2026-12-05T06:20:08.000Z", state: state === "shutoff" ? "shut off" : state, memory },
    ]);
  });
});
