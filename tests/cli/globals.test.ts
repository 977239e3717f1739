import { describe, expect, test } from "bun:test";
import { extractGlobals } from "../../lib/cli/globals.ts";
import { dataDir, defaultUri } from "../../lib/host/paths.ts";

const signal = new AbortController().signal;
const extract = (argv: string[]) => extractGlobals(argv, signal);

describe("extractGlobals", () => {
  const cases: [string, string[], { json: boolean; verbose: boolean; uri?: string }, string[]][] = [
    ["no flags", ["list"], { json: false, verbose: false }, ["list"]],
    ["--json after the verb", ["list", "--json"], { json: true, verbose: false }, ["list"]],
    ["--json before the verb", ["--json", "list"], { json: true, verbose: false }, ["list"]],
    ["--verbose", ["--verbose", "list"], { json: false, verbose: true }, ["list"]],
    ["--connect URI before the verb", ["--connect", "qemu:///session", "list"], { json: false, verbose: false, uri: "qemu:///session" }, ["list"]],
    ["--connect URI after the verb", ["list", "--connect", "qemu:///session"], { json: false, verbose: false, uri: "qemu:///session" }, ["list"]],
    ["-c URI", ["-c", "test:///default", "list"], { json: false, verbose: false, uri: "test:///default" }, ["list"]],
    ["-c URI after the verb", ["remove", "tiny", "-c", "test:///default"], { json: false, verbose: false, uri: "test:///default" }, ["remove", "tiny"]],
    ["-c system, as the Python testcloud spells it", ["-c", "system", "list"], { json: false, verbose: false, uri: "qemu:///system" }, ["list"]],
    ["-c session after the verb", ["list", "-c", "session"], { json: false, verbose: false, uri: "qemu:///session" }, ["list"]],
    ["--connect=session", ["list", "--connect=session"], { json: false, verbose: false, uri: "qemu:///session" }, ["list"]],
    ["--connect=URI", ["list", "--connect=qemu+ssh://h/system"], { json: false, verbose: false, uri: "qemu+ssh://h/system" }, ["list"]],
    ["command flags kept in order", ["create", "img.qcow2", "--json", "--name", "x", "--ram", "512"], { json: true, verbose: false }, ["create", "img.qcow2", "--name", "x", "--ram", "512"]],
    [
      "everything after -- untouched",
      ["ssh", "tiny", "--json", "--", "ls", "--json", "-c", "x", "--connect=y", "--verbose", "--"],
      { json: true, verbose: false },
      ["ssh", "tiny", "--", "ls", "--json", "-c", "x", "--connect=y", "--verbose", "--"],
    ],
  ];

  test.each(cases)("handles %s", (_label, argv, expected, rest) => {
    const result = extract(argv);
    expect(result.rest).toEqual(rest);
    expect(result.globals.json).toBe(expected.json);
    expect(result.globals.verbose).toBe(expected.verbose);
    expect(result.globals.uri).toBe(expected.uri ?? defaultUri());
  });

  test("the last --connect wins", () => {
    expect(extract(["-c", "a:///x", "list", "--connect=b:///y"]).globals.uri).toBe("b:///y");
  });

  test("defaults to the environment's URI and data dir and passes the signal on", () => {
    const { globals } = extract([]);
    expect(globals.uri).toBe(defaultUri());
    expect(globals.dataDir).toBe(dataDir());
    expect(globals.signal).toBe(signal);
  });

  test.each([[["--connect"]], [["list", "-c"]], [["--connect", "--json", "list"]]])(
    "rejects %p: a --connect without a value",
    (argv) => {
      expect(() => extract(argv)).toThrow("Missing value for");
    },
  );

  test("does not modify its input", () => {
    const argv = ["--json", "list", "-c", "x"];
    extract(argv);
    expect(argv).toEqual(["--json", "list", "-c", "x"]);
  });
});
