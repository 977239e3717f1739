import { describe, expect, test } from "bun:test";
import { TestcloudError } from "../../lib/errors.ts";
import { parseCopyRequest, splitRemote } from "../../lib/instance/copy-request.ts";

describe("splitRemote", () => {
  const cases: [string, { name: string; path: string } | null][] = [
    ["web:/etc/hostname", { name: "web", path: "/etc/hostname" }],
    ["web:notes.txt", { name: "web", path: "notes.txt" }],
    ["web:", { name: "web", path: "" }],
    ["web:a:b", { name: "web", path: "a:b" }],
    ["web-1:~/x", { name: "web-1", path: "~/x" }],
    // As with scp: no colon, a leading colon, or a "/" before the colon is a host path.
    ["notes.txt", null],
    [":notes.txt", null],
    ["./a:b", null],
    ["/tmp/a:b", null],
    ["dir/web:x", null],
  ];
  test.each(cases)("reads %p as %p", (word, expected) => {
    expect(splitRemote(word)).toEqual(expected);
  });

  test.each(["Web:/x", "1:/x", "a_b:/x", "-rf:/x", "0b0e7a52-4c3f-4a8e-9d52-5c4b1d1f2e3a:/x"])("refuses %p: its name is not an instance name", (word) => {
    expect(() => splitRemote(word)).toThrow(expect.objectContaining({ code: "E_INVALID_NAME", exitCode: 2 }));
  });
});

describe("parseCopyRequest", () => {
  test("an instance destination is an upload of every host source", () => {
    expect(parseCopyRequest(["a.txt", "dir", "web:/tmp/"], true)).toEqual({
      direction: "upload",
      name: "web",
      sources: ["a.txt", "dir"],
      destination: "/tmp/",
      recursive: true,
    });
  });

  test("instance sources are a download to the host destination", () => {
    expect(parseCopyRequest(["web:/etc/hostname", "web:/etc/os-release", "./out"])).toEqual({
      direction: "download",
      name: "web",
      sources: ["/etc/hostname", "/etc/os-release"],
      destination: "./out",
      recursive: false,
    });
  });

  const refused: [string, string[], string][] = [
    ["no words", [], "at least one source"],
    ["one word", ["web:/x"], "at least one source"],
    ["an empty word", ["", "web:/x"], "Empty path"],
    ["neither side remote", ["a", "b"], "Neither side"],
    ["both sides remote", ["web:/a", "web:/b"], "Both sides"],
    ["a remote source beside a remote destination", ["a", "web:/a", "db:/b"], "Both sides"],
    ["host and instance sources mixed", ["a", "web:/b", "./out"], "mix host and instance"],
    ["sources in two instances", ["web:/a", "db:/b", "./out"], 'different instances: "web", "db"'],
  ];
  test.each(refused)("refuses %s with a usage error", (_what, words, message) => {
    let error: unknown;
    try {
      parseCopyRequest(words);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TestcloudError);
    expect(error).toMatchObject({ code: "E_USAGE", exitCode: 2 });
    expect((error as Error).message).toContain(message);
  });
});
