/**
 * parseYaml11 must read what cloud-init reads: every table here is parsed by it and by
 * PyYAML's safe_load (Debian's python3-yaml, tests/guest/_pyyaml.ts), and the two must agree.
 */
import { describe, expect, test } from "bun:test";
import { parseYaml11 } from "../../lib/guest/_parse-yaml11.ts";
import { yaml11Value } from "../../lib/guest/_pyyaml-scalars.ts";
import { pyyamlLoad } from "./_pyyaml.ts";

function value(text: string): unknown {
  const parsed = parseYaml11(text);
  if (!parsed.ok) throw new Error(`parseYaml11 failed: ${parsed.error}`);
  return parsed.value;
}

function error(text: string): string {
  const parsed = parseYaml11(text);
  if (parsed.ok) throw new Error(`parseYaml11 accepted ${JSON.stringify(text)}`);
  return parsed.error;
}

// Plain scalars where YAML 1.1, YAML 1.2 and the `yaml` package's own 1.1 schema disagree.
const PLAIN = [
  "yes", "Yes", "YES", "on", "ON", "no", "Off", "NO", "true", "False", "TRUE", "tRue", "y", "Y", "n", "N",
  "0644", "-0644", "00", "0", "+0", "0_", "12", "+5", "-1_0", "1__0", "012345678", "08", "09", "0o17",
  "0b101", "0b1_0", "0x1F", "-0x1F", "0x_1F", "0x", "1_000", "1:30", "-1:30", "1:2:3", "190:20:30", "9:99", "1:30.5",
  "1e3", "1E10", "1e+3", "1.0e+3", "1.0e3", "1.5e-3", "-.5", ".5", "+.5", "1.", "0.", "1_000.5", "0.0", "0644.5",
  ".inf", "-.Inf", "+.INF", ".NaN", "~", "null", "Null", "NULL", "nULL", "", "_1", "hello", "1.2.3",
];

describe("parseYaml11 reads plain scalars as PyYAML does", () => {
  const docs = PLAIN.map((plain) => `a: ${plain}\n`);
  const theirs = pyyamlLoad(docs);

  test.each(PLAIN.map((plain, i) => [plain, i] as const))("%p", (plain, i) => {
    expect(theirs[i]).toHaveProperty("value.a");
    const expected = (theirs[i] as { value: { a: unknown } }).value.a;
    expect(value(docs[i]!)).toEqual({ a: expected });
    // The renderer decides with yaml11Value whether a key can stay plain.
    expect(yaml11Value(plain)).toEqual(expected as never);
  });
});

// Whole documents: the structures a #cloud-config or network-config uses, and YAML 1.1's corners.
const DOCUMENTS: [string, string][] = [
  ["a mapping with comments and CRLF", "#cloud-config\r\nssh_pwauth: yes   # comment\r\npackage_upgrade: on\r\n"],
  ["block and flow collections", "write_files:\n  - path: /etc/x\n    permissions: 0644\n  - {path: /b, permissions: 0600, content: \"x: yes\"}\nflags: [yes, no, 0644, \"yes\", 'no', 1_000]\nm: {a: off, b: 1_000, 'c': \"on\"}\n"],
  ["nested sequences, compact and not", "bootcmd:\n- 0755\n- - nested\n  - off\nruncmd:\n  - [sh, -c, \"echo yes\"]\n"],
  ["block literals and folded text, every chomping", "a: |\n  enabled: yes\n  mode: 0644\nb: |-\n  x\n\nc: |+\n  y\n\nd: >-\n  yes\n  no\ne: >\n  one\n\n  two\n"],
  ["multi-line plain and quoted scalars", "multi: 'a\n  b: yes'\nplain: one\n  two yes\nq: \"x\n  y\"\n"],
  ["double-quoted escapes", 'a: "tab\\tnl\\nhex\\x41 uni\\u00e9 nel\\N ls\\L ps\\P nbsp\\_ bell\\a esc\\e"\n'],
  ["anchors, aliases and merge keys", "base: &b {user: root, mode: 0600}\nx: &v 0o17\ny: *v\nfile:\n  <<: *b\n  mode: 0644\nmany:\n  <<: [*b, {extra: on}]\n"],
  ["explicit tags that PyYAML's safe loader applies", "a: !!str yes\nb: !!int \"12\"\nc: !!float \"1\"\nd: !!bool \"on\"\ne: !!null \"\"\n"],
  ["a complex key and an empty value", "? key\n: value\nempty:\nlist:\n- \n"],
  ["a directive and document markers", "%YAML 1.1\n---\na: yes\n...\n"],
  ["a repeated key: the last one wins", "a: 1\nb: 2\na: 3\n"],
  ["tabs inside quotes, block text and comments", "a: \"x\ty\"\nb: |\n  x\ty\nc: 'p\tq' # a\tcomment\n"],
  ["keys that look like numbers but are quoted", "'0644': x\n\"yes\": y\n"],
  ["a network-config v2", "network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: yes\n      dhcp6: off\n      mtu: 1500\n      addresses: [192.168.1.10/24]\n"],
  ["only comments", "#cloud-config\n# nothing yet\n"],
];

describe("parseYaml11 reads whole documents as PyYAML does", () => {
  const theirs = pyyamlLoad(DOCUMENTS.map(([, doc]) => doc));

  test.each(DOCUMENTS.map(([label, doc], i) => [label, doc, i] as const))("%s", (_label, doc, i) => {
    expect(theirs[i]).toHaveProperty("value");
    expect(value(doc)).toEqual((theirs[i] as { value: unknown }).value);
  });

  test("the tables hold documents YAML 1.2 (Bun.YAML) reads differently", () => {
    // Guards the tests above: without YAML 1.1 rules they would not all pass.
    const differ = DOCUMENTS.filter(([, doc], i) => !Bun.deepEquals(Bun.YAML.parse(doc), (theirs[i] as { value: unknown }).value));
    expect(differ.length).toBeGreaterThanOrEqual(5);
  });
});

describe("parseYaml11 refuses what PyYAML refuses", () => {
  // PyYAML's scanner takes a tab only inside quoted scalars, block scalars and comments.
  const REFUSED: [string, string][] = [
    ["a tab after a colon", "a:\t1\n"],
    ["a tab in a plain scalar", "a: x\ty\n"],
    ["a tab before a comment", "a: x\t# c\n"],
    ["a tab after a dash", "-\tx\n"],
    ["a tab in a flow sequence", "a: [1,\t2]\n"],
    ["a tab on a line of its own", "a: 1\n\t\nb: 2\n"],
    ["a tab as indentation", "a:\n\tb: 1\n"],
    ["several documents", "a: 1\n---\nb: 2\n"],
    ['a plain "="', "a: 1\nb: =\n"],
    ["an !!int that is not one", "a: !!int abc\n"],
  ];
  const theirs = pyyamlLoad(REFUSED.map(([, doc]) => doc));

  test.each(REFUSED.map(([label, doc], i) => [label, doc, i] as const))("%s", (_label, doc, i) => {
    expect(theirs[i]).toHaveProperty("error");
    expect(parseYaml11(doc)).toMatchObject({ ok: false });
  });
});

describe("parseYaml11 errors", () => {
  test.each([
    ["an unclosed flow sequence", "#cloud-config\nruncmd: [echo hi\n", /^line 3, column 1: Flow sequence .* end with a \]$/],
    ["a bad indentation", "a:\n  - b\n - c\n", /^line 3, column 1: /],
    ["an unclosed quote", "a: 1\nb: 'x\n", /^line 3, column 1: .*quote/],
    ["a tab as indentation", "a:\n\tb: 1\n", /^line 2, column 1: /],
    ["a tab as a separator", "a: 1\nb:\t2\n", /^line 2, column 3: a tab .*PyYAML.*: use spaces$/],
  ])("%s names the line and column", (_label, text, expected) => {
    expect(error(text)).toMatch(expected);
  });

  test("several documents are one error", () => {
    expect(error("a: 1\n---\nb: 2\n")).toBe("expected one YAML document, found several");
  });

  test('a plain "=" says to quote it', () => {
    expect(error("a: 1\nb: =\n")).toBe('line 2, column 4: cloud-init\'s YAML reader (PyYAML) refuses a plain "=": quote it');
  });

  test("an alias bomb is refused instead of expanded", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) levels.push(`${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10).fill(`*${"abcdefgh"[i - 1]}`).join(", ")}]`);
    expect(error(levels.join("\n") + "\n")).toContain("alias");
  });
});

describe("parseYaml11 tags and dates", () => {
  test("reports every explicit tag with its line", () => {
    const parsed = parseYaml11("a: !!binary |\n  aGk=\nb: !!str 1\nc: !custom x\nd: !!set {x}\n");
    expect(parsed.ok && parsed.tags).toEqual([
      { tag: "!!binary", line: 1 },
      { tag: "!!str", line: 3 },
      { tag: "!custom", line: 4 },
      { tag: "!!set", line: 5 },
    ]);
  });

  test("keeps a date the string it is written as, where PyYAML builds a date", () => {
    const text = "a: 2001-12-14\n";
    expect(pyyamlLoad([text])[0]).toEqual({ value: { a: { "!date": "2001-12-14" } } });
    expect(value(text)).toEqual({ a: "2001-12-14" });
  });
});
