import { describe, expect, test } from "bun:test";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { dataDir, defaultUri, imagesDir, instanceDir } from "../../lib/host/paths.ts";

describe("dataDir", () => {
  const cases: [string, NodeJS.ProcessEnv, number, string][] = [
    ["root", {}, 0, "/var/lib/testcloud"],
    ["root ignores XDG_DATA_HOME", { XDG_DATA_HOME: "/xdg" }, 0, "/var/lib/testcloud"],
    ["a user without XDG_DATA_HOME", {}, 1000, join(homedir(), ".local", "share", "testcloud")],
    ["a user with an empty XDG_DATA_HOME", { XDG_DATA_HOME: "" }, 1000, join(homedir(), ".local", "share", "testcloud")],
    ["a user with XDG_DATA_HOME", { XDG_DATA_HOME: "/home/u/data" }, 1000, "/home/u/data/testcloud"],
    ["TESTCLOUD_DATA_DIR for root", { TESTCLOUD_DATA_DIR: "/srv/tc" }, 0, "/srv/tc"],
    ["TESTCLOUD_DATA_DIR over XDG_DATA_HOME", { TESTCLOUD_DATA_DIR: "/srv/tc", XDG_DATA_HOME: "/x" }, 1000, "/srv/tc"],
  ];

  test.each(cases)("resolves the directory of %s", (_label, env, uid, expected) => {
    expect(dataDir(env, uid)).toBe(expected);
  });

  // Every path under the data dir ends up in domain XML (libvirt needs absolute
  // disk paths) and in --json output (documented as absolute).
  test("is absolute even when TESTCLOUD_DATA_DIR is relative", () => {
    const dir = dataDir({ TESTCLOUD_DATA_DIR: "tc-data" }, 1000);
    expect(isAbsolute(dir)).toBe(true);
    expect(dir).toBe(join(process.cwd(), "tc-data"));
  });

  // XDG Base Directory spec: "If an implementation encounters a relative path in
  // any of these variables it should consider the path invalid and ignore it."
  test("ignores a relative XDG_DATA_HOME as the XDG spec requires", () => {
    expect(dataDir({ XDG_DATA_HOME: "relative/data" }, 1000)).toBe(
      join(homedir(), ".local", "share", "testcloud"),
    );
  });
});

describe("instanceDir and imagesDir", () => {
  test("place instances and images under the data dir", () => {
    expect(instanceDir("/d", "tiny")).toBe("/d/instances/tiny");
    expect(imagesDir("/d")).toBe("/d/images");
  });
});

describe("defaultUri", () => {
  const cases: [string, NodeJS.ProcessEnv, number, string][] = [
    ["root", {}, 0, "qemu:///system"],
    ["a user", {}, 1000, "qemu:///session"],
    ["LIBVIRT_DEFAULT_URI", { LIBVIRT_DEFAULT_URI: "qemu+ssh://h/system" }, 1000, "qemu+ssh://h/system"],
    ["TESTCLOUD_CONNECT over LIBVIRT_DEFAULT_URI", { TESTCLOUD_CONNECT: "test:///default", LIBVIRT_DEFAULT_URI: "x" }, 0, "test:///default"],
    ["an empty TESTCLOUD_CONNECT", { TESTCLOUD_CONNECT: "" }, 1000, "qemu:///session"],
  ];

  test.each(cases)("picks the URI for %s", (_label, env, uid, expected) => {
    expect(defaultUri(env, uid)).toBe(expected);
  });
});
