import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderVolumeXml } from "../../lib/libvirt/virsh-pool.ts";
import { run } from "../../lib/host/run.ts";
import { requireTool, scratchDir } from "../_helpers.ts";

describe("renderVolumeXml", () => {
  test("an overlay names its backing file and format, 0600; libvirt's storagevol schema accepts it", async () => {
    requireTool("virt-xml-validate", "libvirt-clients");
    const xml = renderVolumeXml({ name: "web-1234-disk.qcow2", capacity: 34603008, format: "qcow2", backing: { path: "/pool/base-sha256-ab", format: "raw" } });
    expect(xml).toContain('<capacity unit="bytes">34603008</capacity>');
    expect(xml).toContain("<backingStore>");
    expect(xml).toContain("<mode>0600</mode>");
    const file = join(scratchDir("tc-vol-"), "vol.xml");
    writeFileSync(file, xml);
    expect((await run(["virt-xml-validate", file, "storagevol"], { allowFailure: true })).exitCode).toBe(0);
  });

  test("escapes every value", () => {
    const xml = renderVolumeXml({ name: 'a<b>&"c', capacity: 0, format: "raw", backing: { path: "/p/</path><x>", format: "qcow2" } });
    expect(xml).toContain("<name>a&lt;b&gt;&amp;&quot;c</name>");
    expect(xml).not.toContain("<x>");
  });
});
