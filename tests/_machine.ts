// A machine, a domain spec and an instance record for tests: the defaults create would draft, overridable.
import type { InstanceRecord } from "../lib/instance/state.ts";
import type { DomainSpec } from "../lib/libvirt/domain-xml.ts";
import type { Machine } from "../lib/machine/machine.ts";

export function testMachine(overrides: Partial<Machine> = {}): Machine {
  return {
    arch: "x86_64",
    type: "q35",
    firmware: "bios",
    virtType: "kvm",
    cpu: "auto",
    memoryMiB: 512,
    vcpus: 2,
    rootDiskSize: 0,
    disks: [],
    nics: [{ network: "default", mac: "52:54:00:12:34:56" }],
    isolated: false,
    forwards: [],
    shares: [],
    tpm: false,
    graphics: "none",
    ...overrides,
  };
}

export function testRecord(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    name: "tiny",
    uri: "qemu:///system",
    createdAt: "2026-12-05T00:00:00.000Z",
    user: "cloud-user",
    image: { source: "file:///tiny.qcow2", digest: "ab12", path: "/tiny.qcow2" },
    machine: testMachine(),
    uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607",
    ...overrides,
  };
}

export function testDomain(overrides: Partial<Omit<DomainSpec, "machine" | "files">> & { machine?: Partial<Machine>; files?: Partial<DomainSpec["files"]> } = {}): DomainSpec {
  const dir = overrides.instanceDir ?? "/data/instances/tiny";
  return {
    name: "tiny",
    uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607",
    createdAt: "2026-11-25T22:10:33.000Z",
    instanceDir: dir,
    dataDir: "/data",
    ...overrides,
    machine: testMachine(overrides.machine),
    files: {
      rootDisk: `${dir}/disk.qcow2`,
      seed: `${dir}/seed.iso`,
      consoleLog: `${dir}/console.log`,
      nvram: `${dir}/nvram.fd`,
      disks: [],
      shareHelpers: [],
      ...overrides.files,
    },
  };
}
