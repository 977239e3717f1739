import { describe, expect, test } from "bun:test";
import { DEFAULT_BASE_URLS } from "../../../lib/host/base-urls.ts";
import { DISTROS, findDistro } from "../../../lib/image/resolve/distros.ts";

describe("DISTROS, one entry per distro", () => {
  test("gives every name and alias to one distro only", () => {
    const names = DISTROS.flatMap((d) => [d.name, ...d.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  test("names every upstream host of the [baseUrls] setting, each for one distro, and no other", () => {
    const hosts: string[] = DISTROS.flatMap((d) => d.hosts);
    expect(new Set(hosts).size).toBe(hosts.length);
    expect([...hosts].sort()).toEqual(Object.keys(DEFAULT_BASE_URLS).sort());
  });

  test("shows each shortcut's usage starting with its name", () => {
    for (const distro of DISTROS) expect(distro.usage).toStartWith(distro.name);
  });
});

describe("findDistro", () => {
  test.each([
    ["fedora", "fedora"],
    ["almalinux", "alma"],
    ["alma", "alma"],
    ["centos-stream", "centos-stream"],
  ])("finds %p as %p", (name, canonical) => {
    expect(findDistro(name)?.name).toBe(canonical);
  });

  test.each(["arch", "Fedora", "", "constructor", "toString"])("knows no distro %p", (name) => {
    expect(findDistro(name)).toBeUndefined();
  });
});
