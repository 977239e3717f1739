import { describe, expect, test } from "bun:test";
import { copyName, planTargets, type CheckedSource, type DestinationKind } from "../../lib/instance/_copy-plan.ts";

const file = (path: string): CheckedSource => ({ path, shown: path, directory: false });
const dir = (path: string): CheckedSource => ({ path, shown: path, directory: true });

describe("planTargets", () => {
  const lands: [string, CheckedSource[], string, DestinationKind, string[]][] = [
    ["a file into a directory keeps its name", [file("/h/a.txt")], "/tmp", "directory", ["/tmp/a.txt"]],
    ["a file into a directory written with a slash", [file("/h/a.txt")], "/tmp/", "directory", ["/tmp/a.txt"]],
    ["several sources into a directory", [file("/h/a"), dir("/h/d/")], "/tmp", "directory", ["/tmp/a", "/tmp/d"]],
    ["a file to a new name", [file("/h/a.txt")], "/tmp/b.txt", "missing", ["/tmp/b.txt"]],
    ["a file over a file", [file("/h/a.txt")], "/tmp/b.txt", "file", ["/tmp/b.txt"]],
    ["a directory to a new name", [dir("/h/d")], "/tmp/copy", "missing", ["/tmp/copy"]],
    ["into the home directory (NAME:)", [file("/h/a.txt")], "", "directory", ["a.txt"]],
    ["into ~", [file("/h/a.txt")], "~", "directory", ["~/a.txt"]],
  ];
  test.each(lands)("%s", (_what, sources, destination, kind, expected) => {
    expect(planTargets(sources, destination, kind, destination)).toEqual(expected);
  });

  const refused: [string, CheckedSource[], string, DestinationKind, string, number][] = [
    ["several sources to a missing directory", [file("a"), file("b")], "/tmp/new", "missing", 'Destination directory does not exist: "web:/tmp/new"', 4],
    ["several sources to a file", [file("a"), file("b")], "/tmp/f", "file", 'Destination is not a directory: "web:/tmp/f"', 2],
    ["a name with a slash that is not a directory", [file("a")], "/tmp/new/", "missing", "Destination directory does not exist", 4],
    ["a name with a slash that is a file", [file("a")], "/tmp/f/", "file", "Destination is not a directory", 2],
    ["a destination whose parent is missing", [file("a")], "/nope/x", "no-parent", 'Destination directory does not exist: "web:/nope"', 4],
    ["a directory over a file", [dir("d")], "/tmp/f", "file", "Cannot copy a directory over a file", 2],
  ];
  test.each(refused)("refuses %s", (_what, sources, destination, kind, message, exitCode) => {
    expect(() => planTargets(sources, destination, kind, `web:${destination}`)).toThrow(message);
    expect(() => planTargets(sources, destination, kind, `web:${destination}`)).toThrow(expect.objectContaining({ exitCode }));
  });
});

describe("copyName", () => {
  test.each([["/h/a.txt", "a.txt"], ["/h/dir/", "dir"], ["dir//", "dir"], ["a", "a"], ["~/x", "x"]])("names %p %p", (path, name) => {
    expect(copyName(file(path))).toBe(name);
  });

  test.each(["/", "", ".", "..", "~", "x/..", "./"])("refuses to name %p inside a directory", (path) => {
    expect(() => copyName(dir(path))).toThrow(expect.objectContaining({ code: "E_USAGE" }));
  });
});
