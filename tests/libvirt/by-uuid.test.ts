import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import { run } from "../../lib/host/run.ts";
import { openRpc } from "../../lib/libvirt/_rpc-client.ts";
import { METADATA_NS, renderDomainXml } from "../../lib/libvirt/domain-xml.ts";
import { domainOwnerRpc, domainStateByUuidRpc } from "../../lib/libvirt/rpc.ts";
import { connect, domainOwner, domainStateByUuid, listDomainSummaries, type Virsh } from "../../lib/libvirt/virsh.ts";
import { fakeRunner, fixture, requireTool, useTempDirs } from "../_helpers.ts";
import { testDomain } from "../_machine.ts";
import { fakeLibvirtd, healthy, type FakeDaemon } from "./_fake-libvirtd.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/-/g, ""), "hex"));
const URI = "qemu:///system";
const SOCKET = "/var/run/libvirt/libvirt-sock";
// A custom runner turns the fast path off: these handles always spawn virsh.
const viaVirsh = (uri = URI) => connect(uri, (argv, options) => run(argv, options));

describe("domainStateByUuid and domainOwner over RPC, against a fake libvirtd", () => {
  const tempDir = useTempDirs("all");
  const uuid = crypto.randomUUID(); // no real domain has it: an answer came from the fake
  const element = "<instance>\n  <dir>/var/lib/tc &amp; co</dir>\n</instance>";
  let fake: FakeDaemon;
  let conn: Virsh;

  beforeAll(async () => {
    const domains = [{ name: "1", uuid: hex(uuid), id: -1, state: 3, title: null, element }];
    fake = fakeLibvirtd(await tempDir(), healthy(domains));
    conn = { ...connect(URI, run), rpcSocket: fake.path };
  });
  afterAll(() => fake.stop());

  test("look the domain up by its UUID bytes, whatever its name", async () => {
    expect(await domainStateByUuid(conn, uuid.toUpperCase())).toBe("paused");
    expect(await domainOwner(conn, uuid, METADATA_NS)).toBe("/var/lib/tc & co");
  });

  test("an unknown UUID is null, from the daemon's no-domain error", async () => {
    // virsh would say null too: the other answers above prove the fake was asked.
    expect(await domainStateByUuid(conn, "00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await domainOwner(conn, "00000000-0000-4000-8000-000000000000", METADATA_NS)).toBeNull();
  });
});

test("a malformed UUID is a UsageError before virsh or libvirt is asked", async () => {
  const runner = fakeRunner(() => ({ stdout: "running\n" }));
  const conn = connect(URI, runner);
  for (const bad of ["1", "tiny", "3bed800820d14a4da714abcd65b0fdcd"]) {
    await expect(domainStateByUuid(conn, bad)).rejects.toBeInstanceOf(UsageError);
    await expect(domainOwner(conn, bad, METADATA_NS)).rejects.toBeInstanceOf(UsageError);
  }
  expect(runner.calls).toEqual([]);
});

// Real virsh on libvirt's test driver, loaded from a fixture: no daemon involved.
describe("the virsh fallback, on the test driver's domains", () => {
  const conn = viaVirsh(`test://${fixture("virsh-test-driver-node.xml")}`);
  const OURS = "8e1d3c1a-5b0e-4f8e-9d7c-0a1b2c3d4e5f"; // "tc run 1", running, our metadata
  const NAMED_42 = "0b5e7a52-1111-4222-8333-444455556666"; // a domain named "42", shut off
  // A domain is named like this UUID, which no domain has: virsh falls back to the name.
  const SQUATTED = "5d7e0c55-6a8f-4b7a-9c1e-2f3a4b5c6d7e";

  test("domainStateByUuid finds domains by UUID, a digit-only name included", async () => {
    requireTool("virsh", "libvirt-clients");
    expect(await domainStateByUuid(conn, OURS)).toBe("running");
    expect(await domainStateByUuid(conn, NAMED_42)).toBe("shut off");
  });

  test("a domain named like a UUID no domain has is not taken for it", async () => {
    // What the bare command says: the name squatter's state.
    expect((await run(["virsh", "-q", "-c", conn.uri, "domstate", SQUATTED])).stdout.trim()).toBe("shut off");
    expect(await domainStateByUuid(conn, SQUATTED)).toBeNull();
    expect(await domainOwner(conn, SQUATTED, METADATA_NS)).toBeNull();
  });

  test("domainOwner reads <dir>, and is null without our metadata or domain", async () => {
    expect(await domainOwner(conn, OURS, METADATA_NS)).toBe("/var/lib/testcloud/instances/tc run 1");
    expect(await domainOwner(conn, NAMED_42, METADATA_NS)).toBeNull();
    expect(await domainOwner(conn, OURS, "urn:testcloud:not-ours")).toBeNull();
    expect(await domainOwner(conn, "00000000-0000-4000-8000-000000000000", METADATA_NS)).toBeNull();
  });

  test("listDomainSummaries joins each row with its UUID, names with spaces included", async () => {
    expect(await listDomainSummaries(conn)).toEqual([
      { name: "tc run 1", uuid: OURS, state: "running", title: "testcloud instance in /var/lib/testcloud" },
      { name: "web", uuid: "f00dcafe-0000-4000-8000-00000000beef", state: "paused", title: "someone else's" },
      { name: "42", uuid: NAMED_42, state: "shut off", title: "" },
      { name: SQUATTED, uuid: "9a9a9a9a-0000-4000-8000-000000000001", state: "shut off", title: "" },
    ]);
  });
});

describe("domainStateByUuid and domainOwner: RPC and virsh agree on the real daemon", () => {
  const tempDir = useTempDirs("all");
  const tag = `tcrpc-test-${crypto.randomUUID().slice(0, 8)}`;
  const dir = `/tmp/${tag} & <dir> "q" é`; // escaped in the XML, decoded by both paths
  const ours = { name: `${tag}-ours`, uuid: crypto.randomUUID() };
  const plain = { name: `${tag}-plain`, uuid: crypto.randomUUID() }; // no metadata
  const crafted = { name: `${tag}-crafted`, uuid: crypto.randomUUID() }; // decoys in our namespace
  const all = [ours, plain, crafted];
  const unknown = crypto.randomUUID();
  const virshRun = (...args: string[]) => run(["virsh", "-q", "-c", URI, ...args]);

  // Never started: the disks need not exist.
  const oursXml = () =>
    renderDomainXml(
      testDomain({
        ...ours,
        instanceDir: dir,
        createdAt: "2026-12-01T10:00:00.000Z",
        dataDir: "/nonexistent",
        machine: { virtType: "qemu", memoryMiB: 32, vcpus: 1, nics: [{ network: "testcloud-test", mac: "52:54:00:7c:00:01" }] },
        files: { rootDisk: `/nonexistent/${tag}.qcow2`, consoleLog: `/nonexistent/${tag}.log`, seed: undefined },
      }),
    );
  const bareXml = (d: { name: string; uuid: string }, metadata: string) =>
    `<domain type='qemu'><name>${d.name}</name><uuid>${d.uuid}</uuid>${metadata}<memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`;
  // The decoys of tests/fixtures/virsh-metadata-crafted.txt.
  const craftedMetadata =
    `<metadata><x:other xmlns:x="urn:other"><x:dir>/not/this</x:dir></x:other><tc:instance xmlns:tc="${METADATA_NS}" tc:a="&gt;&lt;dir&gt;/attr&lt;/dir&gt;">` +
    `<!-- <tc:dir>/comment</tc:dir> --><tc:x><tc:dir>/nested</tc:dir></tc:x><tc:dir><![CDATA[/cdata<&>]]>/tail</tc:dir>` +
    `<?pi <dir>/pi</dir>?><y:dir xmlns:y="urn:y">/foreign-ns</y:dir></tc:instance></metadata>`;

  beforeAll(async () => {
    requireTool("virsh", "libvirt-clients");
    const files = await tempDir();
    const xmls = [oursXml(), bareXml(plain, ""), bareXml(crafted, craftedMetadata)];
    for (const [i, xml] of xmls.entries()) {
      await writeFile(join(files, `${i}.xml`), xml);
      await virshRun("define", join(files, `${i}.xml`));
    }
  }, 60_000);

  afterAll(async () => {
    for (const d of all) await run(["virsh", "-c", URI, "undefine", d.uuid], { allowFailure: true });
  }, 60_000);

  test("the fast path is on for connect(URI)", () => {
    expect(connect(URI).rpcSocket).toBe(SOCKET);
  });

  test("domainStateByUuid: the same state both ways, null for an unknown UUID", async () => {
    for (const d of [...all, { name: "unknown", uuid: unknown }]) {
      expect(await domainStateByUuid(connect(URI), d.uuid)).toBe(await domainStateByUuid(viaVirsh(), d.uuid));
    }
    expect(await domainStateByUuid(connect(URI), ours.uuid)).toBe("shut off");
    expect(await domainStateByUuid(connect(URI), unknown)).toBeNull();
  });

  test("domainOwner: our dir, decoded; null without our metadata or domain; the crafted one's real <dir>", async () => {
    const expected = [dir, null, "/cdata<&>/tail", null];
    for (const [i, d] of [...all, { name: "unknown", uuid: unknown }].entries()) {
      expect(await domainOwner(connect(URI), d.uuid, METADATA_NS)).toBe(expected[i]!);
      expect(await domainOwner(viaVirsh(), d.uuid, METADATA_NS)).toBe(expected[i]!);
    }
  });

  test("the RPC functions themselves, on one client", async () => {
    const client = await openRpc(SOCKET, URI);
    expect(await domainStateByUuidRpc(client, ours.uuid)).toBe((await virshRun("domstate", ours.uuid)).stdout.trim());
    expect(await domainOwnerRpc(client, ours.uuid, METADATA_NS)).toBe(dir);
    expect(await domainOwnerRpc(client, plain.uuid, METADATA_NS)).toBeNull();
    expect(await domainStateByUuidRpc(client, unknown)).toBeNull();
    client.close();
  });

  test("listDomainSummaries gives each domain's UUID, over RPC and from virsh", async () => {
    for (const conn of [connect(URI), viaVirsh()]) {
      const rows = await listDomainSummaries(conn);
      for (const d of all) expect(rows.find((r) => r.name === d.name)?.uuid).toBe(d.uuid);
    }
  });
});
