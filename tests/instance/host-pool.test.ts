import { describe, expect, test } from "bun:test";
import { hostPoolFor, isLocalUri } from "../../lib/instance/host-pool.ts";
import { baseVolumeName, instanceVolumes } from "../../lib/instance/instance-volumes.ts";

describe("hostPoolFor", () => {
  test("a daemon on this machine keeps the pool in the data dir; another host under libvirt's images directory", () => {
    const local = hostPoolFor("qemu:///system", "/var/lib/testcloud");
    expect(local.path).toBe("/var/lib/testcloud/pool");
    const remote = hostPoolFor("qemu+ssh://root@lab/system", "/var/lib/testcloud");
    expect(remote).toEqual({ name: local.name, path: `/var/lib/libvirt/images/${local.name}` });
    expect(local.name).toMatch(/^testcloud-[0-9a-f]{12}$/);
  });

  test("two data dirs never share a pool", () => {
    expect(hostPoolFor("qemu:///system", "/a").name).not.toBe(hostPoolFor("qemu:///system", "/b").name);
  });

  test.each([
    ["qemu:///system", true],
    ["qemu:///session", true],
    ["qemu+unix:///system", true],
    ["qemu+ssh://root@lab/system", false],
    ["qemu+tls://lab/system", false],
    ["not a uri", false],
  ])("isLocalUri(%s) is %p", (uri, local) => expect(isLocalUri(uri)).toBe(local));
});

describe("instanceVolumes", () => {
  test("names the instance's volumes after it and its uuid; the base image after its digest", () => {
    const volumes = instanceVolumes({ name: "testcloud-abc", path: "/p" }, { name: "web", uuid: "0123abcd-0000-4000-8000-000000000000" }, true);
    expect(volumes).toEqual({ pool: "testcloud-abc", poolPath: "/p", disk: "web-0123abcd-disk.qcow2", seed: "web-0123abcd-seed.iso", console: "web-0123abcd-console.log" });
    expect(instanceVolumes({ name: "p", path: "/p" }, { name: "w", uuid: "0123abcd" }, false).seed).toBeUndefined();
    expect(baseVolumeName("ab12")).toBe("base-sha256-ab12");
  });
});
