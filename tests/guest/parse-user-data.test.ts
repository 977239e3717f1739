import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { parseUserData } from "../../lib/guest/parse-user-data.ts";

const PATH = "/tmp/user-data";

function error(text: string): UsageError {
  try {
    parseUserData(text, PATH);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error("expected parseUserData to throw");
}

describe("parseUserData classification", () => {
  // [label, text, passthrough type] — cloud-init's prefixes, longest first.
  const passthrough: [string, string, string][] = [
    ["a shell script", "#!/bin/sh\necho hi\n", "shellscript"],
    ["a bash script with a BOM", "\uFEFF#!/bin/bash\necho hi\n", "shellscript"],
    ["an include list", "#include\nhttps://example.org/a\n", "include-url"],
    ["an include-once list", "#include-once\nhttps://example.org/a\n", "include-once-url"],
    ["a jinja template", "## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n", "jinja2"],
    ["a cloud-config archive", "#cloud-config-archive\n- type: text/cloud-config\n", "cloud-config-archive"],
    ["a boothook", "#cloud-boothook\n#!/bin/sh\necho hi\n", "cloud-boothook"],
    ["a part handler", "#part-handler\ndef list_types(): pass\n", "part-handler"],
    ["MIME multipart", 'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n--B\n', "multipart"],
    ["MIME with the version first", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n", "multipart"],
  ];

  test.each(passthrough)("passes %s through untouched", (_label, text, type) => {
    const parsed = parseUserData(text, PATH);
    expect(parsed).toEqual({ kind: "passthrough", path: PATH, type, text: text.replace(/^\uFEFF/, "") });
  });

  test.each([
    ["the plain header", "#cloud-config\nruncmd: [echo hi]\n"],
    ["a header in other case after blank lines", "\n#Cloud-Config\nruncmd: [echo hi]\n"],
    ["a header with a trailing comment", "#cloud-config  # mine\nruncmd: [echo hi]\n"],
    ["CRLF line ends", "#cloud-config\r\nruncmd: [echo hi]\r\n"],
  ])("parses a #cloud-config with %s", (_label, text) => {
    const parsed = parseUserData(text, PATH);
    expect(parsed.kind).toBe("cloud-config");
    expect(parsed.kind === "cloud-config" && parsed.config).toEqual({ runcmd: ["echo hi"] });
  });

  test("reads a #cloud-config as cloud-init's YAML 1.1 does", () => {
    const parsed = parseUserData("#cloud-config\nssh_pwauth: yes\nwrite_files:\n  - path: /x\n    permissions: 0600\n    owner: y\n", PATH);
    expect(parsed.kind === "cloud-config" && parsed.config).toEqual({ ssh_pwauth: true, write_files: [{ path: "/x", permissions: 384, owner: "y" }] });
  });

  test("takes a #cloud-config with only comments as empty", () => {
    const parsed = parseUserData("#cloud-config\n# nothing yet\n", PATH);
    expect(parsed.kind === "cloud-config" && parsed.config).toEqual({});
  });
});

describe("parseUserData errors", () => {
  const cases: [string, string, string][] = [
    ["malformed YAML, with the parser's message", "#cloud-config\nruncmd: [echo hi\n", "Flow sequence in block collection must be sufficiently indented and end with a ]"],
    ["a tab, which cloud-init's PyYAML refuses", "#cloud-config\nruncmd:\t[echo hi]\n", "line 2, column 8: a tab"],
    ["a list instead of a mapping", "#cloud-config\n- echo hi\n", "expected a YAML mapping"],
    ["several documents", "#cloud-config\na: 1\n---\nb: 2\n", "expected one YAML document, found several"],
    ["a !!binary tag", "#cloud-config\nwrite_files:\n  - content: !!binary |\n      aGk=\n", "line 3: YAML tag !!binary cannot be merged"],
    ["an empty file", "  \n", "the file is empty"],
    ["MIME without MIME-Version", "Content-Type: multipart/mixed; boundary=B\n\n--B\n", 'needs a "MIME-Version: 1.0" header'],
    ["YAML without the header", "runcmd: [echo hi]\n", "cloud-init would ignore it"],
    ["plain text", "hello\n", "cloud-init would ignore it"],
  ];

  test.each(cases)("rejects %s as E_USER_DATA_INVALID naming the file", (_label, text, detail) => {
    const e = error(text);
    expect(e.code).toBe("E_USER_DATA_INVALID");
    expect(e.exitCode).toBe(2);
    expect(e.message).toStartWith(`Invalid user-data: "${PATH}": `);
    expect(e.message).toContain(detail);
  });

  test("suggests the header for YAML that lacks it, and only then", () => {
    expect(error("runcmd: [echo hi]\n").hint).toBe('add "#cloud-config" as its first line');
    expect(error("hello\n").hint).toBeUndefined();
  });

  test("suggests write_files encoding for !!binary", () => {
    expect(error("#cloud-config\nx: !!binary aGk=\n").hint).toContain("encoding: b64");
  });

  test("gives the line and column of a YAML error", () => {
    expect(error("#cloud-config\na: 1\nb: 'x\n").message).toMatch(/: line 4, column 1: Missing closing 'quote$/);
    expect(error("#cloud-config\na:\n  - b\n - c\n").message).toContain(": line 4, column 1: ");
  });
});
