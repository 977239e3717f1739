import { describe as group, expect, test } from "bun:test";
import { describe, describeOrphan, sshTarget } from "../../lib/instance/describe.ts";
import { instancePaths, type InstanceRecord } from "../../lib/instance/state.ts";
import { testMachine } from "../_machine.ts";

const record: InstanceRecord = {
  name: "tiny",
  uri: "qemu:///system",
  createdAt: "2026-11-25T22:10:33.000Z",
  user: "cloud-user",
  image: { source: "file:///images/tiny.qcow2", digest: "ab12", path: "/data/images/blobs/sha256-ab12" },
  machine: testMachine({ memoryMiB: 256, vcpus: 1, virtType: "qemu", nics: [{ network: "tcnet", mac: "52:54:00:aa:bb:cc" }] }),
  uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607",
};
const userRecord: InstanceRecord = { ...record, machine: testMachine({ ...record.machine, nics: [{ network: "user", mac: "52:54:00:aa:bb:cc", sshPort: 40022 }] }) };
const paths = instancePaths("/data", "tiny");

group("describe", () => {
  test("joins the record, the paths and libvirt's view into the stable JSON shape", () => {
    const info = describe(record, paths, "running", "192.168.250.10");
    expect(info).toEqual({
      name: "tiny",
      state: "running",
      ip: "192.168.250.10",
      sshPort: 22,
      user: "cloud-user",
      keyPath: "/data/instances/tiny/id_ed25519",
      knownHostsPath: "/data/instances/tiny/known_hosts",
      sshCommand: expect.any(String),
      uri: "qemu:///system",
      network: "tcnet",
      virtType: "qemu",
      ramMiB: 256,
      vcpus: 1,
      machine: record.machine,
      image: record.image,
      paths: {
        dir: "/data/instances/tiny",
        overlay: "/data/instances/tiny/disk.qcow2",
        seed: "/data/instances/tiny/seed.iso",
        consoleLog: "/data/instances/tiny/console.log",
      },
      createdAt: "2026-11-25T22:10:33.000Z",
      problem: null,
      forkedFrom: null,
    });
  });

  test("says which template (and generation) a fork was restored from", () => {
    const fork: InstanceRecord = { ...record, forkedFrom: { template: "ci", dir: "/data/templates/ci/g1", nicPort: 5 } };
    expect(describe(fork, paths, "running", null).forkedFrom).toEqual({ template: "ci", dir: "/data/templates/ci/g1" });
  });

  test("reports user-mode networking with its forwarded port", () => {
    const info = describe(userRecord, paths, "running", "127.0.0.1");
    expect(info.network).toBe("user");
    expect(info.sshPort).toBe(40022);
    expect(info.sshCommand).toContain("-p 40022");
    expect(info.sshCommand).toEndWith("cloud-user@127.0.0.1");
  });

  test("has no ssh command while the address is unknown", () => {
    const info = describe(record, paths, "shut off", null);
    expect(info.ip).toBeNull();
    expect(info.sshCommand).toBeNull();
  });

  test("the ssh command is strict about host keys and uses the instance key", () => {
    const command = describe(record, paths, "running", "192.168.250.10").sshCommand!;
    expect(command).toStartWith("ssh -i /data/instances/tiny/id_ed25519 -p 22 ");
    expect(command).toContain("-o StrictHostKeyChecking=yes");
    expect(command).toContain("-o HostKeyAlias=testcloud-tiny");
    expect(command).toEndWith("cloud-user@192.168.250.10");
  });

  test("shell-quotes paths with spaces and quotes in the ssh command", () => {
    const odd = instancePaths("/home/o'neil/my data", "tiny");
    const command = describe(record, odd, "running", "10.0.0.2").sshCommand!;
    expect(command).toContain(`-i '/home/o'\\''neil/my data/instances/tiny/id_ed25519'`);
    expect(command).toContain(`-o 'UserKnownHostsFile=/home/o'\\''neil/my data/instances/tiny/known_hosts'`);
  });

  test("is JSON-serialisable without loss", () => {
    const info = describe(record, paths, "running", "192.168.250.10");
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });
});

group("sshTarget", () => {
  test("uses port 22 on a libvirt network and the alias testcloud-NAME", () => {
    expect(sshTarget(record, paths, "192.168.250.10")).toEqual({
      host: "192.168.250.10",
      port: 22,
      user: "cloud-user",
      keyPath: paths.key,
      knownHostsPath: paths.knownHosts,
      hostKeyAlias: "testcloud-tiny",
    });
  });

  test("uses the forwarded port in user mode", () => {
    expect(sshTarget(userRecord, paths, "127.0.0.1").port).toBe(40022);
  });
});

group("describe flags mismatches", () => {
  test("a record whose domain is gone gets a problem pointing at clean", () => {
    expect(describe(record, paths, "missing", null).problem).toContain("testcloud clean");
  });
  test("describeOrphan keeps the name, state and problem", () => {
    const info = describeOrphan("ghost", "qemu:///system", "shut off", "/data/instances/ghost", "the instance directory is gone");
    expect(info).toMatchObject({ name: "ghost", state: "shut off", ip: null, problem: "the instance directory is gone" });
  });
});
