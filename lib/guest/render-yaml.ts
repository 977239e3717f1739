import { yaml11Value } from "./_pyyaml-scalars.ts";

/** A value the YAML renderer accepts: what JSON can hold, without null. */
export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

/**
 * Renders block-style YAML that cloud-init's YAML 1.1 reader (PyYAML) reads back
 * exactly. Every string is a double-quoted scalar escaped for any content,
 * except multi-line text with nothing to escape, which becomes a `|` block
 * literal so keys and scripts stay readable in the seed.
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
    // A plain key only when YAML 1.1 reads it as that string: `on:` or `null:` would be a bool or null.
    const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) && yaml11Value(key) === key ? key : quote(key);
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

// What PyYAML reads as a line break (NEL, LS, PS) or refuses as non-printable (DEL, C1
// controls, U+FFFE, U+FFFF), plus the BOM, which YAML lets stand before a document.
// JSON.stringify leaves them raw; a raw line break lets the text after it become a new key.
const UNSAFE_RAW = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
const NAMED_ESCAPES: Record<string, string> = { "\u0085": "\\N", "\u2028": "\\L", "\u2029": "\\P" };
// Lone surrogates cannot be written as UTF-8; JSON.stringify escapes them, a block literal cannot.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A double-quoted scalar: JSON string syntax is YAML's double-quoted style, once UNSAFE_RAW is escaped too. */
function quote(value: string | number | boolean): string {
  if (typeof value === "number") return number(value);
  return JSON.stringify(value).replace(UNSAFE_RAW, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A number as YAML 1.1 reads it back: floats need a dot ("1e+21" is a string to PyYAML), and .inf/.nan. */
function number(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  if (!Number.isFinite(value)) return value > 0 ? ".inf" : "-.inf";
  const text = String(value);
  return text.includes("e") && !text.includes(".") ? text.replace("e", ".0e") : text;
}

/** A block literal can hold text with newlines unless it needs escapes or has edge whitespace. */
function isBlockSafe(value: string): boolean {
  if (!value.includes("\n") || value.endsWith("\n\n")) return false;
  if (/^[ \t\n]/.test(value) || /[\t\r\u0000-\u0008\u000b-\u001f]/.test(value)) return false;
  if (value.search(UNSAFE_RAW) >= 0 || LONE_SURROGATE.test(value)) return false;
  return !value.split("\n").some((line) => / $/.test(line));
}
