import { describe, expect, test } from "bun:test";
import { el, escapeXml, renderXml } from "../../lib/libvirt/_xml.ts";

describe("escapeXml", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["a<b>c", "a&lt;b&gt;c"],
    ["&", "&amp;"],
    ["&amp;", "&amp;amp;"],
    [`'"`, "&apos;&quot;"],
    ["]]>", "]]&gt;"],
    ["ünïcode ✓", "ünïcode ✓"],
  ];

  test.each(cases)("escapes %p", (input, expected) => {
    expect(escapeXml(input)).toBe(expected);
  });
});

describe("el", () => {
  test("drops false and undefined children but keeps empty text", () => {
    expect(el("a", {}, false, undefined, "", el("b")).children).toEqual(["", { name: "b", attrs: {}, children: [] }]);
  });
});

describe("renderXml", () => {
  test("renders an element without children as self-closing", () => {
    expect(renderXml(el("boot", { dev: "hd" }))).toBe('<boot dev="hd"/>');
  });

  test("drops undefined attributes and renders numbers", () => {
    expect(renderXml(el("target", { port: 0, type: undefined }))).toBe('<target port="0"/>');
  });

  test("escapes attribute values and text", () => {
    const xml = renderXml(el("a", { v: `<"&'>` }, `<"&'>`));
    expect(xml).toBe("<a v=\"&lt;&quot;&amp;&apos;&gt;\">&lt;&quot;&amp;&apos;&gt;</a>");
  });

  test("keeps text-only content on one line", () => {
    expect(renderXml(el("name", {}, "tiny"))).toBe("<name>tiny</name>");
  });

  test("indents nested elements by two spaces", () => {
    expect(renderXml(el("a", {}, el("b", {}, el("c")), el("d", {}, "x")))).toBe(
      "<a>\n  <b>\n    <c/>\n  </b>\n  <d>x</d>\n</a>",
    );
  });

  test("escapes text mixed with elements", () => {
    expect(renderXml(el("a", {}, "x<y", el("b")))).toBe("<a>\n  x&lt;y\n  <b/>\n</a>");
  });
});
