/** A node of the tiny XML builder: every text and attribute value is escaped on render. */
export interface XmlNode {
  name: string;
  attrs?: Record<string, string | number | undefined>;
  children?: (XmlNode | string)[];
}

/** Builds an element; undefined attributes are dropped, so optional settings stay concise. */
export function el(
  name: string,
  attrs: XmlNode["attrs"] = {},
  ...children: (XmlNode | string | false | undefined)[]
): XmlNode {
  return { name, attrs, children: children.filter((c): c is XmlNode | string => !!c || c === "") };
}

/** Escapes text for element content and double-quoted attribute values alike. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Renders a node tree as indented XML. */
export function renderXml(node: XmlNode, indent = 0): string {
  const pad = "  ".repeat(indent);
  const attrs = Object.entries(node.attrs ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join("");
  const children = node.children ?? [];
  if (children.length === 0) return `${pad}<${node.name}${attrs}/>`;
  if (children.every((c) => typeof c === "string")) {
    return `${pad}<${node.name}${attrs}>${escapeXml(children.join(""))}</${node.name}>`;
  }
  const inner = children
    .map((c) => (typeof c === "string" ? pad + "  " + escapeXml(c) : renderXml(c, indent + 1)))
    .join("\n");
  return `${pad}<${node.name}${attrs}>\n${inner}\n${pad}</${node.name}>`;
}
