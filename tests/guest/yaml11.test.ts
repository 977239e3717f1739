import { describe, expect, test } from "bun:test";
import { toYaml12, yaml11Value, yaml12Spelling } from "../../lib/guest/_yaml11.ts";

describe("yaml11Value", () => {
  // Expected values are what PyYAML 6 safe_load returned for `a: <plain>` (cloud-init's reader).
  const cases: [string, string | number | boolean | null][] = [
    ["yes", true], ["Yes", true], ["YES", true], ["on", true], ["no", false], ["Off", false], ["NO", false],
    ["y", "y"], ["n", "n"], ["true", true], ["False", false],
    ["0644", 420], ["-0644", -420], ["00", 0], ["0", 0], ["+0", 0], ["12", 12], ["+5", 5],
    ["0b101", 5], ["0x1F", 31], ["-0x1F", -31], ["0x_1F", 31], ["1_000", 1000],
    ["08", "08"], ["0o17", "0o17"], ["1:30", 90], ["1:30.5", 90.5],
    ["1e3", "1e3"], ["1.5e3", "1.5e3"], ["1e+3", "1e+3"], ["1E10", "1E10"], ["1.5e-3", 0.0015],
    ["-.5", "-.5"], [".5", 0.5], ["1.", 1], ["1_000.5", 1000.5], ["0.0", 0],
    [".inf", Infinity], ["-.Inf", -Infinity], ["~", null], ["null", null], ["NULL", null], ["", null],
    ["hello", "hello"], ["2001-12-14", "2001-12-14"],
  ];

  test.each(cases)("reads %p as PyYAML does: %p", (plain, expected) => {
    expect(yaml11Value(plain)).toBe(expected);
  });

  test("reads .nan as NaN", () => {
    expect(Number.isNaN(yaml11Value(".NaN"))).toBe(true);
  });
});

describe("yaml12Spelling", () => {
  const cases: [string, string | undefined][] = [
    ["yes", "true"],
    ["off", "false"],
    ["0644", "420"],
    ["1_000", "1000"],
    ["1:30", "90"],
    ["0b101", "5"],
    ["08", '"08"'],
    ["0o17", '"0o17"'],
    ["1e3", '"1e3"'],
    ["-.5", '"-.5"'],
    // Both versions agree: left alone.
    ["true", undefined],
    ["42", undefined],
    ["0x1F", undefined],
    ["hello world", undefined],
    ["null", undefined],
    ["1.5", undefined],
    ["y", undefined],
  ];

  test.each(cases)("respells %p as %p", (plain, expected) => {
    expect(yaml12Spelling(plain)).toBe(expected);
  });

  test.each(cases.filter(([, to]) => to !== undefined))("makes Bun read %p as YAML 1.1 does", (plain) => {
    expect((Bun.YAML.parse(`x: ${yaml12Spelling(plain)}`) as { x: unknown }).x).toEqual(yaml11Value(plain));
  });
});

// A #cloud-config exercising every construct the scanner knows. EXPECTED is what
// PyYAML 6 safe_load returned for it, captured once (json.dumps of the result).
const DOC = `#cloud-config
ssh_pwauth: yes   # comment
package_upgrade: on
write_files:
  - path: /etc/x
    permissions: 0644
    content: |
      enabled: yes
      mode: 0644
    owner: 'root:root'
  - path: "/a"
    permissions: !!str 0755
    defer: on
  - {path: /b, permissions: 0600, content: "x: yes"}
flags: [yes, no, 0644, "yes", 'no', 1_000]
m: {a: off, b: 1_000, 'c': "on"}
multi: 'a
  b: yes'
after: NO
runcmd:
  - [sh, -c, "echo yes"]
  - echo 0644
  - 08
  - &anc 0o17
  - *anc
  - >-
    yes
  - 1:30
  - "key: value: with colon"
  - "quoted: yes"
  - plain text: yes
bootcmd:
- 0755
- - nested
  - off
times: {t: 1e3, u: 1.5e-3}
`;

const EXPECTED = {
  ssh_pwauth: true,
  package_upgrade: true,
  write_files: [
    { path: "/etc/x", permissions: 420, content: "enabled: yes\nmode: 0644\n", owner: "root:root" },
    { path: "/a", permissions: "0755", defer: true },
    { path: "/b", permissions: 384, content: "x: yes" },
  ],
  flags: [true, false, 420, "yes", "no", 1000],
  m: { a: false, b: 1000, c: "on" },
  multi: "a b: yes",
  after: false,
  runcmd: [["sh", "-c", "echo yes"], "echo 0644", "08", "0o17", "0o17", "yes", 90, "key: value: with colon", "quoted: yes", { "plain text": true }],
  bootcmd: [493, ["nested", false]],
  times: { t: "1e3", u: 0.0015 },
};

describe("toYaml12", () => {
  test("makes Bun read a whole document exactly as cloud-init's PyYAML does", () => {
    expect(Bun.YAML.parse(toYaml12(DOC).text)).toEqual(EXPECTED);
  });

  test("without it Bun would read that document differently", () => {
    // Guards the test above: the document must contain real differences.
    expect(Bun.YAML.parse(DOC)).not.toEqual(EXPECTED);
  });

  test("leaves block literals, quoted and explicitly tagged scalars alone", () => {
    const { text } = toYaml12(DOC);
    expect(text).toContain("      enabled: yes\n      mode: 0644\n");
    expect(text).toContain("permissions: !!str 0755");
    expect(text).toContain("'no'");
    expect(text).toContain("  b: yes'");
  });

  test("reports each rewrite with its line", () => {
    const { fixes } = toYaml12("#cloud-config\na: yes\nb:\n  - 0644\n");
    expect(fixes).toEqual([
      { line: 2, from: "yes", to: "true" },
      { line: 4, from: "0644", to: "420" },
    ]);
  });

  test("reports tags, which Bun would drop", () => {
    expect(toYaml12("a: !!binary |\n  aGk=\nb: !!str 1\nc: !custom x\n").tags).toEqual([
      { line: 1, tag: "!!binary" },
      { line: 3, tag: "!!str" },
      { line: 4, tag: "!custom" },
    ]);
  });

  test("keeps CRLF line ends", () => {
    expect(toYaml12("a: yes\r\nb: 0644\r\n").text).toBe("a: true\r\nb: 420\r\n");
  });

  test("changes nothing in a document without differences", () => {
    const plain = "#cloud-config\nruncmd:\n  - echo hi\npackages: [vim, git]\n";
    expect(toYaml12(plain)).toEqual({ text: plain, fixes: [], tags: [] });
  });
});
