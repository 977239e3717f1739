import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { TestcloudError } from "../../lib/errors.ts";
import { el, renderXml, type XmlNode } from "../../lib/libvirt/_xml.ts";
import { fwcfgSysinfo, IGNITION_FW_CFG } from "../../lib/libvirt/fwcfg.ts";
import { run } from "../../lib/host/run.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

/** A minimal domain around `extra`, enough for libvirt's schema and its test driver. */
function domain(name: string, extra: XmlNode): string {
  return renderXml(
    el("domain", { type: "qemu" },
      el("name", {}, name),
      el("memory", { unit: "MiB" }, "128"),
      el("os", {}, el("type", { arch: "x86_64" }, "hvm")),
      extra,
    ),
  ) + "\n";
}

describe("fwcfgSysinfo", () => {
  test("renders the Ignition entry libvirt turns into -fw_cfg", () => {
    expect(renderXml(fwcfgSysinfo({ [IGNITION_FW_CFG]: "/var/lib/testcloud/instances/c1/config.ign" }))).toBe(
      '<sysinfo type="fwcfg">\n  <entry name="opt/com.coreos/config" file="/var/lib/testcloud/instances/c1/config.ign"/>\n</sysinfo>',
    );
  });

  test("renders one entry per name, in order", () => {
    const node = fwcfgSysinfo({ "opt/a": "/x/a", "opt/b": "/x/b" });
    expect(node.children).toEqual([el("entry", { name: "opt/a", file: "/x/a" }), el("entry", { name: "opt/b", file: "/x/b" })]);
  });

  test("refuses a name outside opt/, which QEMU reserves", () => {
    expect(() => fwcfgSysinfo({ "etc/x": "/x" })).toThrow('name must start with "opt/"');
  });

  test.each([["/data,dir/c.ign"], ["/a&b/c.ign"], ["/it's/c.ign"], ['/q"/c.ign'], ["/a<b/c.ign"]])(
    "refuses %p: libvirt would pass it to QEMU mangled",
    (path) => {
      let error: TestcloudError | undefined;
      try {
        fwcfgSysinfo({ [IGNITION_FW_CFG]: path });
      } catch (e) {
        error = e as TestcloudError;
      }
      expect(error?.code).toBe("E_UNSAFE_PATH");
      expect(error?.message).toContain(path);
    },
  );
});

describe("fwcfgSysinfo accepted by libvirt", () => {
  test("validates against libvirt's domain schema, which rejects a wrong sysinfo type", async () => {
    const validate = requireTool("virt-xml-validate", "libvirt-clients");
    const dir = await tempDir();
    const good = join(dir, "good.xml");
    const bad = join(dir, "bad.xml");
    await Bun.write(good, domain("fw-good", fwcfgSysinfo({ [IGNITION_FW_CFG]: "/tmp/c.ign" })));
    await Bun.write(bad, domain("fw-bad", el("sysinfo", { type: "fw-cfg" }, el("entry", { name: IGNITION_FW_CFG, file: "/tmp/c.ign" }))));
    expect((await run([validate, good, "domain"], { allowFailure: true })).exitCode).toBe(0);
    expect((await run([validate, bad, "domain"], { allowFailure: true })).exitCode).not.toBe(0);
  });

  test("is kept by `virsh define --validate` on the test driver", async () => {
    const virsh = requireTool("virsh", "libvirt-clients");
    const path = join(await tempDir(), "domain.xml");
    await Bun.write(path, domain("fw-define", fwcfgSysinfo({ [IGNITION_FW_CFG]: "/tmp/c.ign" })));
    // test:/// keeps no state between processes: define and read back in one virsh call.
    const { stdout } = await run([virsh, "-c", "test:///default", `define --validate ${path}; dumpxml fw-define`]);
    expect(stdout).toContain("<sysinfo type='fwcfg'>");
    expect(stdout).toContain("<entry name='opt/com.coreos/config' file='/tmp/c.ign'/>");
  });
});
