import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, settingRows } from "../../lib/host/config.ts";
import { hostTable, hostUri } from "../../lib/host/hosts.ts";
import { scratchDir } from "../_helpers.ts";

describe("[hosts]", () => {
  test("maps names to libvirt URIs, shown by config as hosts.NAME with their file", async () => {
    const dir = scratchDir("tc-hosts-");
    const file = join(dir, "config.toml");
    writeFileSync(file, '[hosts]\nlab = "qemu+ssh://root@lab.example/system"\nhere = "qemu:///system"\n');
    const config = await loadConfig({ env: {}, files: [file], uid: process.getuid!() });
    expect(config.settings.hosts).toEqual({ lab: "qemu+ssh://root@lab.example/system", here: "qemu:///system" });
    expect(settingRows(config)).toContainEqual({ key: "hosts.lab", value: "qemu+ssh://root@lab.example/system", origin: file });
    expect(config.settings.hostTimeout).toBe(10);
    expect(config.settings.hostMemoryOvercommit).toBe(100);
  });

  test.each([
    ["ext transport", { lab: "qemu+ext:///system?command=/bin/sh" }, /runs a program/],
    ["command= parameter", { lab: "qemu+ssh://h/system?command=/tmp/x" }, /runs a program/],
    ["netcat= parameter", { lab: "qemu+ssh://h/system?netcat=/tmp/x" }, /runs a program/],
    ["a host starting with -", { lab: "qemu+ssh://-oProxyCommand=x/system" }, /may not start with/],
    ["a non-string", { lab: 3 }, /not a string/],
    ["the name auto", { auto: "qemu:///system" }, /not "auto"/],
    ["a name with a dot", { "a.b": "qemu:///system" }, /must be lowercase/],
    ["an upper-case name", { Lab: "qemu:///system" }, /must be lowercase/],
  ])("refuses %s", (_, table, message) => {
    expect(() => hostTable(table, "/etc/testcloud/config.toml")).toThrow(message);
  });

  test("hostUri names the configured hosts when asked for another", () => {
    expect(hostUri({ hosts: { a: "qemu:///system" } }, "a")).toBe("qemu:///system");
    expect(() => hostUri({ hosts: { b: "x", a: "y" } }, "c")).toThrow('Unknown host: "c": expected one of a, b');
    expect(() => hostUri({ hosts: {} }, "toString")).toThrow("no [hosts]");
  });
});
