/** A value the YAML renderer accepts: what JSON can hold, without null. */
export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

/**
 * Renders block-style YAML. Every string is a JSON double-quoted scalar (valid
 * YAML, escaped for any content) except multi-line text, which becomes a `|`
 * block literal so keys and scripts stay readable in the seed.
 */
export function renderYaml(value: YamlValue): string {
  if (!isMap(value)) throw new Error("renderYaml: the document must be a mapping");
  return renderMap(value, 0).join("\n") + "\n";
}

function isMap(value: YamlValue): value is { [key: string]: YamlValue } {
  return typeof value === "object" && !Array.isArray(value);
}

function renderMap(map: { [key: string]: YamlValue }, indent: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : quote(key);
    lines.push(...renderEntry(`${pad}${k}:`, value, indent));
  }
  return lines;
}

function renderSeq(items: YamlValue[], indent: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  for (const item of items) {
    if (isMap(item) && Object.keys(item).length > 0) {
      // "- key: value" with the remaining keys aligned under the first.
      const inner = renderMap(item, indent + 2);
      lines.push(`${pad}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
    } else if (Array.isArray(item) && item.every((v) => !isMap(v) && !Array.isArray(v))) {
      lines.push(`${pad}- [${item.map((v) => quote(v as string)).join(", ")}]`);
    } else {
      lines.push(...renderEntry(`${pad}-`, item, indent));
    }
  }
  return lines;
}

function renderEntry(prefix: string, value: YamlValue, indent: number): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [`${prefix} []`] : [prefix, ...renderSeq(value, indent + 2)];
  }
  if (isMap(value)) {
    return Object.keys(value).length === 0 ? [`${prefix} {}`] : [prefix, ...renderMap(value, indent + 2)];
  }
  if (typeof value === "string" && isBlockSafe(value)) {
    const pad = " ".repeat(indent + 2);
    const body = value.endsWith("\n") ? value.slice(0, -1) : value;
    const chomp = value.endsWith("\n") ? "" : "-";
    return [`${prefix} |${chomp}`, ...body.split("\n").map((l) => (l === "" ? "" : pad + l))];
  }
  return [`${prefix} ${quote(value)}`];
}

/** JSON string syntax is YAML's double-quoted style, but JSON leaves DEL and C1 controls raw; PyYAML rejects them. */
function quote(value: string | number | boolean): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A block literal can hold text with newlines unless it needs escapes or has edge whitespace. */
function isBlockSafe(value: string): boolean {
  if (!value.includes("\n") || value.endsWith("\n\n")) return false;
  if (/^[ \t\n]/.test(value) || /[\t\r\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(value)) return false;
  return !value.split("\n").some((line) => / $/.test(line));
}
