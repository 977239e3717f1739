import { afterEach, describe, expect, test } from "bun:test";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultUri } from "../../lib/host/paths.ts";
import { run } from "../../lib/host/run.ts";
import { METADATA_NS, renderDomainXml, type DomainSpec } from "../../lib/libvirt/domain-xml.ts";
import { connect, defineDomain, destroyDomain, domainState, startDomain, undefineDomain } from "../../lib/libvirt/virsh.ts";
import { createImage, requireTool, useTempDirs } from "../_helpers.ts";

const spec: DomainSpec = {
  name: "tiny",
  uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607",
  virtType: "kvm",
  ramMiB: 512,
  vcpus: 2,
  overlay: "/data/instances/tiny/disk.qcow2",
  seed: "/data/instances/tiny/seed.iso",
  consoleLog: "/data/instances/tiny/console.log",
  mac: "52:54:00:12:34:56",
  network: { mode: "network", name: "default" },
  instanceDir: "/data/instances/tiny",
  createdAt: "2026-11-25T22:10:33.000Z",
  dataDir: "/data",
};

const userMode: DomainSpec = { ...spec, virtType: "qemu", network: { mode: "user", sshPort: 40022 } };
const NASTY = `a<b>&'"c`;
const nasty: DomainSpec = {
  ...spec,
  name: NASTY,
  overlay: `/data/${NASTY}/disk.qcow2`,
  seed: `/data/${NASTY}/seed.iso`,
  consoleLog: `/data/${NASTY}/console.log`,
  instanceDir: `/data/${NASTY}`,
  network: { mode: "network", name: NASTY },
};

describe("renderDomainXml escaping", () => {
  const xml = renderDomainXml(nasty);
  const escaped = "a&lt;b&gt;&amp;&apos;&quot;c";

  test("escapes the name", () => {
    expect(xml).toContain(`<name>${escaped}</name>`);
  });

  test("escapes disk, console log and metadata paths", () => {
    expect(xml).toContain(`<source file="/data/${escaped}/disk.qcow2"/>`);
    expect(xml).toContain(`<source file="/data/${escaped}/seed.iso"/>`);
    expect(xml).toContain(`<log file="/data/${escaped}/console.log" append="off"/>`);
    expect(xml).toContain(`<tc:dir>/data/${escaped}</tc:dir>`);
  });

  test("escapes the network name", () => {
    expect(xml).toContain(`<source network="${escaped}"/>`);
  });

  test("never contains the raw value", () => {
    expect(xml).not.toContain(NASTY);
    expect(xml).not.toContain("<b>");
  });

  test("an injected closing tag stays text", () => {
    const injected = renderDomainXml({ ...spec, name: "x</name><devices><disk/></devices><name>y" });
    expect(injected.match(/<name>/g)).toHaveLength(1);
    expect(injected.match(/<devices>/g)).toHaveLength(1);
  });
});

describe("renderDomainXml networking", () => {
  test("network mode attaches a virtio NIC to the libvirt network with the MAC", () => {
    const xml = renderDomainXml(spec);
    const nic = /<interface type="network">\n([\s\S]*?)\n\s*<\/interface>/.exec(xml)?.[1] ?? "";
    expect(nic).toContain('<source network="default"/>');
    expect(nic).toContain('<mac address="52:54:00:12:34:56"/>');
    expect(nic).toContain('<model type="virtio"/>');
    expect(xml.match(/<interface /g)).toHaveLength(1);
    expect(xml).not.toContain("qemu:commandline");
    expect(xml).not.toContain("xmlns:qemu");
  });

  test("user mode forwards ssh on 127.0.0.1 only and restricts the guest", () => {
    const xml = renderDomainXml(userMode);
    expect(xml).toStartWith('<domain type="qemu" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">');
    expect(xml).not.toContain("<interface");
    const args = [...xml.matchAll(/<qemu:arg value="([^"]*)"\/>/g)].map((m) => m[1]);
    const netdev = args[args.indexOf("-netdev") + 1]!.split(",");
    expect(netdev).toContain("user");
    expect(netdev).toContain("restrict=on");
    expect(netdev).toContain("hostfwd=tcp:127.0.0.1:40022-:22");
    const device = args[args.indexOf("-device") + 1]!.split(",");
    expect(device[0]).toBe("virtio-net-pci");
    expect(device).toContain("mac=52:54:00:12:34:56");
    expect(device).toContain(`netdev=${netdev.find((p) => p.startsWith("id="))!.slice(3)}`);
  });
});

describe("renderDomainXml machine", () => {
  test("kvm passes the host CPU through", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toStartWith('<domain type="kvm">');
    expect(xml).toContain('<cpu mode="host-passthrough" migratable="off"/>');
  });

  test("qemu (TCG) uses the maximum CPU model", () => {
    const xml = renderDomainXml({ ...spec, virtType: "qemu" });
    expect(xml).toStartWith('<domain type="qemu">');
    expect(xml).toContain('<cpu mode="maximum" check="none"/>');
  });

  test("carries testcloud's metadata element in its namespace", () => {
    expect(renderDomainXml(spec)).toContain(
      `<metadata>\n    <tc:instance xmlns:tc="${METADATA_NS}">\n      <tc:dir>/data/instances/tiny</tc:dir>\n      <tc:created>2026-11-25T22:10:33.000Z</tc:created>\n    </tc:instance>\n  </metadata>`,
    );
  });

  test("sets memory, vcpus and uuid", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain('<memory unit="MiB">512</memory>');
    expect(xml).toContain("<vcpu>2</vcpu>");
    expect(xml).toContain(`<uuid>${spec.uuid}</uuid>`);
  });

  test("attaches the overlay as qcow2 and the seed as a read-only raw disk", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain(
      '<disk type="file" device="disk">\n      <driver name="qemu" type="qcow2" discard="unmap"/>\n      <source file="/data/instances/tiny/disk.qcow2"/>\n      <target dev="vda" bus="virtio"/>\n    </disk>',
    );
    expect(xml).toContain(
      '<disk type="file" device="disk">\n      <driver name="qemu" type="raw"/>\n      <source file="/data/instances/tiny/seed.iso"/>\n      <target dev="vdb" bus="virtio"/>\n      <readonly/>\n    </disk>',
    );
  });

  test("ends with a newline", () => {
    expect(renderDomainXml(spec)).toEndWith("</domain>\n");
  });
});

describe("renderDomainXml against libvirt's schema", () => {
  const tempDir = useTempDirs();
  const cases: [string, DomainSpec][] = [
    ["network mode under kvm", spec],
    ["user mode under qemu", userMode],
    ["XML metacharacters in every value", nasty],
  ];

  test.each(cases)("virt-xml-validate accepts %s", async (_label, domain) => {
    requireTool("virt-xml-validate", "libvirt-clients");
    // virt-xml-validate is a shell script around xmllint.
    requireTool("xmllint", "libxml2-utils");
    const path = join(await tempDir(), "domain.xml");
    await writeFile(path, renderDomainXml(domain));
    const result = await run(["virt-xml-validate", path, "domain"], { allowFailure: true });
    expect(`${result.exitCode}: ${(result.stderr + result.stdout).trim()}`).toBe(`0: ${path} validates`);
  });
});

// Integration with the real libvirt daemon: define and start a user-mode domain on an
// empty disk under TCG. It only has to reach "running"; nothing boots.
describe("renderDomainXml with libvirt", () => {
  const tempDir = useTempDirs();
  const conn = connect(defaultUri());
  let defined: string | undefined;

  afterEach(async () => {
    if (!defined) return;
    await destroyDomain(conn, defined).catch(() => {});
    await undefineDomain(conn, defined).catch(() => {});
    defined = undefined;
  });

  test("libvirt starts a user-mode domain", async () => {
    requireTool("virsh", "libvirt-clients");
    const dir = await tempDir();
    // The qemu process may run as another user: let it reach the files.
    await chmod(dir, 0o755);
    const name = `tc-unit-${crypto.randomUUID().slice(0, 8)}`;
    const domain: DomainSpec = {
      ...userMode,
      name,
      uuid: crypto.randomUUID(),
      ramMiB: 64,
      vcpus: 1,
      overlay: await createImage(join(dir, "disk.qcow2"), { size: 1 << 20 }),
      seed: await createImage(join(dir, "seed.iso"), { format: "raw", size: 1 << 20 }),
      consoleLog: join(dir, "console.log"),
      instanceDir: dir,
      network: { mode: "user", sshPort: 40000 + Math.floor(Math.random() * 20000) },
    };
    const xmlPath = join(dir, "domain.xml");
    await writeFile(xmlPath, renderDomainXml(domain));
    await defineDomain(conn, xmlPath);
    defined = name;
    await startDomain(conn, name);
    expect(await domainState(conn, name)).toBe("running");
  });
});

describe("renderDomainXml title and display", () => {
  test("the title names the data dir, so list and clean only see their own domains", () => {
    expect(renderDomainXml(spec)).toContain("<title>testcloud instance in /data</title>");
  });
  test("headless by default; --vnc adds a display bound to 127.0.0.1", () => {
    expect(renderDomainXml(spec)).not.toContain("<graphics");
    const xml = renderDomainXml({ ...spec, vnc: true });
    expect(xml).toContain('<graphics type="vnc" autoport="yes" listen="127.0.0.1">');
  });
});

describe("renderDomainXml for Ignition guests", () => {
  test("an Ignition guest gets the config through fw_cfg and no seed disk", () => {
    const xml = renderDomainXml({ ...spec, seed: undefined, ignition: "/data/instances/tiny/config.ign" });
    expect(xml).toContain('<entry name="opt/com.coreos/config" file="/data/instances/tiny/config.ign"/>');
    expect(xml).not.toContain('dev="vdb"');
  });
  test("a NoCloud guest has the seed disk and no fw_cfg", () => {
    const xml = renderDomainXml(spec);
    expect(xml).toContain('dev="vdb"');
    expect(xml).not.toContain("<sysinfo");
  });
});
