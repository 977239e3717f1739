/**
 * renderDomainXml against the real libvirt: virt-xml-validate accepts every kind of domain we
 * render, and the daemon defines and starts user-mode domains of each architecture under TCG.
 */
import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultUri } from "../../lib/host/paths.ts";
import { run } from "../../lib/host/run.ts";
import { renderDomainXml, type DomainSpec } from "../../lib/libvirt/domain-xml.ts";
import { connect, domainStateByUuid, startDomain } from "../../lib/libvirt/virsh.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";
import { foreign, full, nasty, OTHER_ARCHES, spec, userMode } from "./_domain-fixtures.ts";
import { useScratchDomains } from "./_scratch-domain.ts";

describe("renderDomainXml against libvirt's schema", () => {
  const tempDir = useTempDirs();
  const cases: [string, DomainSpec][] = [
    ["network mode under kvm", spec],
    ["user mode under qemu", userMode],
    ["XML metacharacters in every value", nasty],
    ["every device option at once", full],
    ["an aarch64 guest", foreign("aarch64", { disks: [{ sizeBytes: 2 ** 30, serial: "d1", bus: "scsi" }], tpm: true })],
    ["a ppc64le guest", foreign("ppc64le", { disks: [{ sizeBytes: 2 ** 30, serial: "d1", bus: "nvme" }] })],
    ["an s390x guest", foreign("s390x", { disks: [{ sizeBytes: 2 ** 30, serial: "d1", bus: "virtio" }] })],
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
/** What each firmware prints first on the console. */
const FIRMWARE_SAYS: Record<keyof typeof OTHER_ARCHES, RegExp> = { aarch64: /UEFI firmware/, ppc64le: /SLOF/, s390x: /LOADPARM/ };

/** Polls `read` until `done` says so or `ms` pass; returns the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await Bun.sleep(250);
  }
}

describe("renderDomainXml with libvirt", () => {
  const tempDir = useTempDirs();
  const conn = connect(defaultUri());
  const scratchDomain = useScratchDomains(conn);

  test("libvirt starts a user-mode domain", async () => {
    requireTool("virsh", "libvirt-clients");
    const domain = await scratchDomain(await tempDir());
    await startDomain(conn, domain.uuid);
    expect(await domainStateByUuid(conn, domain.uuid)).toBe("running");
  });

  test.each(Object.keys(OTHER_ARCHES) as (keyof typeof OTHER_ARCHES)[])("libvirt defines and starts a user-mode %s domain under TCG", async (arch) => {
    requireTool("virsh", "libvirt-clients");
    requireTool(`qemu-system-${arch === "ppc64le" ? "ppc64" : arch}`, "qemu-system-arm qemu-system-ppc qemu-system-misc");
    // pseries wants more than 64 MiB for SLOF and its RMA.
    // A second NIC is libvirt's own <interface>; the first is QEMU's (it forwards ssh).
    const nics = [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40000 + Math.floor(Math.random() * 20000) }, { network: "user", mac: "52:54:00:12:34:57" }];
    const domain = await scratchDomain(await tempDir(), { ...OTHER_ARCHES[arch], memoryMiB: 256, nics });
    await startDomain(conn, domain.uuid);
    // Its firmware runs and speaks on the logged console (s390-ccw then stops: the disk is empty).
    const log = await until(() => Bun.file(domain.files.consoleLog).text().catch(() => ""), (text) => FIRMWARE_SAYS[arch].test(text), 60_000);
    expect(log).toMatch(FIRMWARE_SAYS[arch]);
  }, 90_000);
});
