// A libvirt domain that needs no image: user mode, TCG, 64 MiB, an empty 1 MiB disk and a
// raw "seed". It starts and runs (nothing boots), which is all the libvirt integration
// tests need. Every domain made is destroyed and undefined after each test or the file.
import { afterAll, afterEach } from "bun:test";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderDomainXml, type DomainSpec } from "../../lib/libvirt/domain-xml.ts";
import type { Machine } from "../../lib/machine/machine.ts";
import { defineDomain, destroyDomain, undefineDomain, type Virsh } from "../../lib/libvirt/virsh.ts";
import { createImage } from "../_helpers.ts";
import { testDomain } from "../_machine.ts";

/** Registers the clean-up and returns a factory that defines a scratch domain in `dir` (its machine as `machine` says). */
export function useScratchDomains(conn: Virsh, scope: "each" | "all" = "each"): (dir: string, machine?: Partial<Machine>) => Promise<DomainSpec> {
  const made: string[] = [];
  const cleanup = async () => {
    for (const uuid of made.splice(0)) {
      await destroyDomain(conn, uuid).catch(() => {});
      await undefineDomain(conn, uuid).catch(() => {});
    }
  };
  if (scope === "each") afterEach(cleanup);
  else afterAll(cleanup);
  return async (dir, machine = {}) => {
    // The qemu process may run as another user: let it reach the files.
    await chmod(dir, 0o755);
    const domain = testDomain({
      name: `tc-unit-${crypto.randomUUID().slice(0, 8)}`,
      uuid: crypto.randomUUID(),
      instanceDir: dir,
      machine: { virtType: "qemu", memoryMiB: 64, vcpus: 1, nics: [{ network: "user", mac: "52:54:00:12:34:56", sshPort: 40000 + Math.floor(Math.random() * 20000) }], ...machine },
      files: {
        rootDisk: await createImage(join(dir, "disk.qcow2"), { size: 1 << 20 }),
        seed: await createImage(join(dir, "seed.iso"), { format: "raw", size: 1 << 20 }),
        consoleLog: join(dir, "console.log"),
        nvram: join(dir, "nvram.fd"),
      },
    });
    await writeFile(join(dir, "domain.xml"), renderDomainXml(domain));
    await defineDomain(conn, join(dir, "domain.xml"));
    made.push(domain.uuid);
    return domain;
  };
}
