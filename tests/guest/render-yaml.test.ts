import { describe, expect, test } from "bun:test";
import { renderYaml, type YamlValue } from "../../lib/guest/render-yaml.ts";
import { pyyamlLoad } from "./_pyyaml.ts";

/** Renders `{ v: value }` and parses it back with a real YAML parser. */
function roundTrip(value: YamlValue): unknown {
  return (Bun.YAML.parse(renderYaml({ v: value })) as { v: unknown }).v;
}

describe("renderYaml round-trips strings", () => {
  const strings: [string, string][] = [
    ["plain", "hello"],
    ["empty", ""],
    ["double quotes", 'say "hi"'],
    ["single quotes", "it's"],
    ["a colon and space", "key: value"],
    ["a trailing colon", "key:"],
    ["a comment marker", "a # not a comment"],
    ["a leading #", "#hash"],
    ["leading spaces", "   indented"],
    ["trailing spaces", "trailing   "],
    ["a backslash", "C:\\path\\to"],
    ["unicode", "grüß dich, 日本語, emoji 🚀"],
    ["a tab", "a\tb"],
    ["a carriage return", "a\r\nb"],
    ["line and paragraph separators", "a\u2028b\u2029c"],
    ["a NUL and a bell", "a\u0000b\u0007"],
    ["yes", "yes"],
    ["no", "no"],
    ["on", "on"],
    ["true", "true"],
    ["null", "null"],
    ["a tilde", "~"],
    ["an integer", "123"],
    ["an octal-looking number", "0755"],
    ["a float", "1.5e3"],
    ["a date", "2026-11-25"],
    ["a leading dash", "- item"],
    ["flow indicators", "[a, {b: c}]"],
    ["an anchor", "&anchor"],
    ["an alias", "*alias"],
    ["a tag", "!!binary"],
    ["a block indicator", "| literal"],
    ["a directive", "%YAML 1.2"],
    ["a document marker", "---"],
    ["a document end", "..."],
    ["multi-line with trailing newline", "line 1\nline 2\n"],
    ["multi-line without trailing newline", "line 1\nline 2"],
    ["multi-line with an indented line", "if x:\n    y()\nz"],
    ["multi-line with an empty line inside", "a\n\nb\n"],
    ["multi-line with two trailing newlines", "a\nb\n\n"],
    ["multi-line starting with a space", " a\nb\n"],
    ["multi-line starting with a newline", "\na\nb"],
    ["multi-line with trailing spaces on a line", "a  \nb\n"],
    ["multi-line with comment and key-like lines", "# not a comment\nkey: value\n- not a list\n"],
    ["multi-line with a document marker line", "a\n---\nb\n"],
    ["a lone newline", "\n"],
    ["a PEM private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"],
  ];

  test.each(strings)("%s", (_label, value) => {
    expect(roundTrip(value)).toBe(value);
  });

  const read = pyyamlLoad(strings.map(([, value]) => renderYaml({ v: value })));
  test.each(strings.map(([label], i) => [label, i] as const))("%s, read by PyYAML as cloud-init does", (_label, i) => {
    expect(read[i]).toEqual({ value: { v: strings[i]![1] } });
  });
});

describe("renderYaml round-trips structures", () => {
  const values: [string, YamlValue][] = [
    ["numbers", [0, -1, 42, 1.5]],
    ["booleans", [true, false]],
    ["an empty list", []],
    ["an empty map", {}],
    ["a list of maps", [{ name: "a", x: 1 }, { name: "b", y: ["c", "d"] }]],
    ["a map with a multi-line string first", [{ script: "a\nb\n", after: "x" }]],
    ["a list of lists", [["ls", "-la"], ["echo", "a: b"]]],
    ["a list of empty things", [[], {}]],
    ["a list holding a list of maps", [[{ a: 1 }, { b: 2 }]]],
    ["nested maps", { a: { b: { c: "deep" } } }],
    ["odd keys", { "a key": 1, "with:colon": 2, "#hash": 3, "": 4, "123": 5, "ünï": 6 }],
    ["a multi-line string in a list", ["a\nb", "c\nd\n"]],
  ];

  test.each(values)("%s", (_label, value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  test("a whole cloud-config-like document", () => {
    const doc: YamlValue = {
      users: [{ name: "cloud-user", ssh_authorized_keys: ["ssh-ed25519 AAAA a@b"], lock_passwd: true }],
      write_files: [{ path: "/etc/x", content: "line: 1\n# two\n", permissions: "0644" }],
      runcmd: [["sh", "-c", "echo 'hi' > /tmp/x"], "systemctl restart sshd"],
    };
    expect(Bun.YAML.parse(renderYaml(doc))).toEqual(doc);
  });
});

describe("renderYaml output", () => {
  test("ends with exactly one newline", () => {
    expect(renderYaml({ a: "b" })).toBe('a: "b"\n');
  });

  test("quotes strings that YAML would read as another type", () => {
    const yaml = renderYaml({ a: "yes", b: "123", c: "null" });
    expect(Bun.YAML.parse(yaml)).toEqual({ a: "yes", b: "123", c: "null" });
    expect(yaml).not.toMatch(/: (yes|123|null)$/m);
  });

  test("writes multi-line text as a readable block literal", () => {
    expect(renderYaml({ s: "one\ntwo\n" })).toBe("s: |\n  one\n  two\n");
    expect(renderYaml({ s: "one\ntwo" })).toBe("s: |-\n  one\n  two\n");
  });

  test("rejects a document that is not a mapping", () => {
    expect(() => renderYaml(["a"])).toThrow("mapping");
    expect(() => renderYaml("a")).toThrow("mapping");
  });

  // YAML's printable set (YAML 1.2 §5.1, c-printable) excludes DEL and the C1 controls,
  // and cloud-init's parser (PyYAML) refuses the whole document over one of them:
  // "unacceptable character #x007f: special characters are not allowed". NEL is a line
  // break to YAML 1.1, so PyYAML turns "a\u0085b" into "a b". They must be escaped.
  const unprintable: [string, string][] = [
    ["DEL", "a\u007fb"],
    ["a C1 control", "a\u0090b"],
    ["NEL", "a\u0085b"],
    ["NEL in multi-line text", "a\u0085\nb\n"],
  ];

  test.each(unprintable)("escapes %s instead of writing it raw", (_label, value) => {
    const yaml = renderYaml({ v: value });
    expect(yaml).not.toMatch(/[\u007f-\u009f]/);
    expect((Bun.YAML.parse(yaml) as { v: string }).v).toBe(value);
  });
});

// Every character YAML 1.1 reads as a line break (NEL, LS, PS) or refuses as non-printable
// (C0 but tab and LF, DEL, C1, U+FFFE, U+FFFF), the BOM, and lone surrogates, which UTF-8
// cannot carry raw. A raw line break inside a scalar makes the text after it a key of its own.
const SPECIAL = [
  ...Array.from({ length: 0x20 }, (_, i) => i).filter((i) => i !== 0x0a),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff, 0xd800, 0xdfff,
].map((code) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`);

/** A document putting `c` everywhere user text can go: values, multi-line text, keys, lists. */
function documentWith(c: string): { [key: string]: YamlValue } {
  return {
    "instance-id": "iid-1",
    single: `a${c}instance-id: evil`,
    multi: `line 1\nx${c}instance-id: evil\n`,
    edges: [`${c}a`, `a${c}`, c, `a${c}--- b`, `a\n${c}...\n`],
    [`key${c}instance-id`]: `v${c}`,
    runcmd: [["echo", `a${c}b`]],
    nested: { [`${c}`]: { deep: `x\n${c}\n` } },
    "local-hostname": "host",
  };
}

describe("renderYaml escapes what YAML 1.1 reads as a line break or refuses, read back by PyYAML", () => {
  const docs = SPECIAL.map((label) => documentWith(String.fromCharCode(parseInt(label.slice(2), 16))));
  const read = pyyamlLoad(docs.map((doc) => renderYaml(doc)));

  test.each(SPECIAL.map((label, i) => [label, i] as const))("%s round-trips exactly and adds no key", (_label, i) => {
    expect(read[i]).toEqual({ value: docs[i] });
  });

  test.each([["LINE SEPARATOR", "\u2028", "\\L"], ["PARAGRAPH SEPARATOR", "\u2029", "\\P"], ["NEL", "\u0085", "\\N"]])(
    "writes %s as its named escape, never raw and never in a block literal",
    (_label, c, escape) => {
      const yaml = renderYaml({ v: `a\nb${c}c\n` });
      expect(yaml).toBe(`v: "a\\nb${escape}c\\n"\n`);
    },
  );
});

describe("renderYaml keeps types as YAML 1.1 reads them, read back by PyYAML", () => {
  test("keys YAML 1.1 reads as booleans or null stay strings", () => {
    const keys = ["yes", "no", "on", "off", "On", "OFF", "true", "False", "null", "Null", "y", "n"];
    const doc = Object.fromEntries(keys.map((k) => [k, k]));
    expect(pyyamlLoad([renderYaml(doc)])[0]).toEqual({ value: doc });
  });

  test("numbers stay numbers: exponents, infinities and NaN included", () => {
    const doc = { n: [0, -3, 0.1, 1.5e-7, 1e21, 5e-324, 2 ** 53, 1.7976931348623157e308, Infinity, -Infinity, NaN] };
    expect(pyyamlLoad([renderYaml(doc)])[0]).toEqual({ value: doc });
  });
});
