import { describe, expect, test } from "bun:test";
import { parseInstanceDir } from "../../lib/libvirt/_instance-dir.ts";
import { fixture } from "../_helpers.ts";

const read = (name: string) => Bun.file(fixture(name)).text();

describe("parseInstanceDir on what virsh 9.0 printed for `metadata DOMAIN NS`", () => {
  test("decodes the entity and character references in <dir>", async () => {
    expect(parseInstanceDir(await read("virsh-metadata-escaped.txt"))).toBe(`/var/lib/a & <b> "q" 'x' é`);
  });

  test("a crafted element: only the text of the direct <dir> child counts, CDATA included", async () => {
    // Decoys in the capture: a '<dir>' in an attribute value, a comment and a processing
    // instruction, a <dir> nested one level deeper, and one in another namespace (y:dir).
    expect(parseInstanceDir(await read("virsh-metadata-crafted.txt"))).toBe("/cdata<&>/tail");
  });

  test("a root with a default namespace of its own is not ours, nor are its plain children", async () => {
    expect(parseInstanceDir(await read("virsh-metadata-default-ns.txt"))).toBeNull();
  });
});

describe("parseInstanceDir", () => {
  const cases: [string, string, string | null][] = [
    ["our own element", "<instance><dir>/d</dir><created>2026</created></instance>", "/d"],
    ["whitespace around and inside <dir>, kept as is", "\n<instance>\n  <dir> /d </dir>\n</instance>\n", " /d "],
    ["decimal and hex character references", "<instance><dir>&#233;&#xE9;&#x1F600;</dir></instance>", "éé😀"],
    ["a self-closing <dir>", "<instance><dir/></instance>", ""],
    ["a <dir> with a default namespace of its own beside ours", `<instance><dir xmlns="urn:y">/y</dir><dir>/d</dir></instance>`, "/d"],
    ["a raw tag inside an attribute value: its '<' is malformed", `<instance a="x><dir>/no</dir>"><dir>/d</dir></instance>`, null],
    ["an escaped tag inside an attribute value", `<instance a="x&gt;&lt;dir&gt;/no"><dir>/d</dir></instance>`, "/d"],
    ["a '>' alone inside an attribute value", `<instance a="x>y"><dir>/d</dir></instance>`, "/d"],
    ["attributes quoted either way", `<instance a="x" b='y'><dir c="&gt;">/d</dir></instance>`, "/d"],
    ["no <dir>", "<instance><created>2026</created></instance>", null],
    ["two <dir> children", "<instance><dir>/a</dir><dir>/b</dir></instance>", null],
    ["markup inside <dir>", "<instance><dir>/a<b/>/c</dir></instance>", null],
    ["a root that is not <instance>", "<other><dir>/d</dir></other>", null],
    ["a prefixed root", `<tc:instance xmlns:tc="urn:x"><dir>/d</dir></tc:instance>`, null],
    ["two roots", "<instance><dir>/a</dir></instance><instance><dir>/a</dir></instance>", null],
    ["text outside the root", "x<instance><dir>/d</dir></instance>", null],
    ["an unclosed element", "<instance><dir>/d</dir>", null],
    ["mismatched end tags", "<instance><dir>/d</instance></dir>", null],
    ["a stray '<'", "<instance><dir>/a < b</dir></instance>", null],
    ["an entity that is not predefined", "<instance><dir>&nbsp;/d</dir></instance>", null],
    ["entity names are case-sensitive", "<instance><dir>&LT;/d</dir></instance>", null],
    ["a bare '&'", "<instance><dir>/a & b</dir></instance>", null],
    ["a character reference to NUL", "<instance><dir>&#0;</dir></instance>", null],
    ["a surrogate character reference", "<instance><dir>&#xD800;</dir></instance>", null],
    ["a DOCTYPE", `<!DOCTYPE instance [<!ENTITY e "/d">]><instance><dir>&e;</dir></instance>`, null],
    ["an unquoted attribute", "<instance a=b><dir>/d</dir></instance>", null],
    ["an unterminated comment", "<instance><dir>/d</dir><!-- </instance>", null],
    ["the empty string", "", null],
  ];

  test.each(cases)("%s", (_name, xml, expected) => {
    expect(parseInstanceDir(xml)).toBe(expected);
  });
});
