import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { forkDomainXml, type ForkXmlChange } from "../../lib/libvirt/fork-domain-xml.ts";
import { readSaveImage } from "../../lib/libvirt/save-image.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/libvirt-save");
const FROM = "/tmp/tpl-manual/templates/tt/34aea71db737-mxa867yl";

function change(over: Partial<ForkXmlChange> = {}): ForkXmlChange {
  return {
    fromDir: FROM,
    toDir: "/var/lib/testcloud/instances/web1",
    name: "web1",
    uuid: "0f8e9c1a-1111-4222-8333-444455556666",
    genid: "9a1b2c3d-aaaa-4bbb-8ccc-dddddddddddd",
    title: "testcloud instance in /var/lib/testcloud",
    createdAt: "2026-12-05T10:00:00.000Z",
    qemuArgs: [],
    ...over,
  };
}

describe("forkDomainXml", () => {
  test("gives libvirt's saved XML of a template the fork's name, UUID, generation ID, title and files", async () => {
    const saved = (await readSaveImage(join(FIXTURES, "template-head.bin"))).xml;
    const xml = forkDomainXml(saved, change());
    expect(xml).toContain("<name>web1</name>");
    expect(xml).toContain("<uuid>0f8e9c1a-1111-4222-8333-444455556666</uuid>");
    expect(xml).toContain("<genid>9a1b2c3d-aaaa-4bbb-8ccc-dddddddddddd</genid>");
    expect(xml).toContain("<title>testcloud instance in /var/lib/testcloud</title>");
    expect(xml).toContain("<tc:dir>/var/lib/testcloud/instances/web1</tc:dir>");
    expect(xml).toContain("file='/var/lib/testcloud/instances/web1/disk.qcow2'");
    expect(xml).toContain("file='/var/lib/testcloud/instances/web1/fork-identity'");
    expect(xml).not.toContain(FROM);
    expect(xml).not.toContain("template.tt");
    // Everything else is libvirt's, byte for byte: QEMU's saved state must match its devices.
    expect(xml.split("\n").length).toBe(saved.split("\n").length);
  });

  test("replaces the user-mode network's QEMU arguments with the fork's, or drops them", () => {
    const saved = readFileSync(join(FIXTURES, "saved-user-mode.xml"), "utf8");
    const fromDir = "/tmp/tplexp/data/instances/tplexp-t";
    const args = ["-netdev", "user,id=tcnet0,hostfwd=tcp:127.0.0.1:40022-:22"];
    const xml = forkDomainXml(saved, change({ fromDir, qemuArgs: args }));
    expect(xml.match(/<qemu:arg /g)?.length).toBe(2);
    expect(xml).toContain("<qemu:arg value=\"user,id=tcnet0,hostfwd=tcp:127.0.0.1:40022-:22\"/>");
    expect(forkDomainXml(saved, change({ fromDir, qemuArgs: [] }))).not.toContain("qemu:commandline");
  });

  test("refuses a saved XML where a field it rewrites is missing, and directories that would need escaping", () => {
    const saved = readFileSync(join(FIXTURES, "saved-network.xml"), "utf8");
    const fromDir = "/tmp/tplexp/data/instances/tplexp-t";
    expect(() => forkDomainXml(saved.replace(/<genid>.*<\/genid>/, ""), change({ fromDir }))).toThrow(/genid/);
    expect(() => forkDomainXml(saved, change({ fromDir, toDir: "/tmp/a'b" }))).toThrow(/unsupported directory/);
  });
});
