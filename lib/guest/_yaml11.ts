/**
 * cloud-init reads YAML 1.1 (PyYAML), Bun.YAML reads YAML 1.2: the same plain
 * scalar can mean different things (`0644` is 420 to cloud-init and 644 to Bun,
 * `yes` is true to one and a string to the other). Before a user's
 * #cloud-config is parsed for merging, every plain scalar whose meaning differs
 * is rewritten to what cloud-init would have read, spelled so both agree. The
 * scanner is line-based: block and flow values on one line, not multi-line plain
 * or flow scalars; block literals and quoted scalars are left alone.
 */

/** One rewritten scalar; `line` is 1-based. */
export interface Yaml11Fix {
  line: number;
  from: string;
  to: string;
}

/** A tag such as `!!binary` that Bun drops but PyYAML applies. */
export interface YamlTag {
  line: number;
  tag: string;
}

type Scan = { block: number | null; quote: string | null };

/** Rewrites the plain scalars YAML 1.1 reads differently; returns the text, the fixes and every tag seen. */
export function toYaml12(source: string): { text: string; fixes: Yaml11Fix[]; tags: YamlTag[] } {
  const fixes: Yaml11Fix[] = [];
  const tags: YamlTag[] = [];
  const state: Scan = { block: null, quote: null };
  const lines = source.split("\n").map((line, i) => {
    if (state.quote) {
      if (closeIndex(line, state.quote, 0) >= 0) state.quote = null;
      return line;
    }
    if (state.block !== null) {
      if (line.trim() === "" || indentOf(line) > state.block) return line;
      state.block = null;
    }
    return scanLine(line, i + 1, state, fixes, tags);
  });
  return { text: lines.join("\n"), fixes, tags };
}

const NODE = /^([ \t]*)((?:-[ \t]+)*)/;
const KEY = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],&*!|>%@`][^#]*?)[ \t]*:(?=[ \t]|\r?$)/;

function scanLine(line: string, lineNo: number, state: Scan, fixes: Yaml11Fix[], tags: YamlTag[]): string {
  const node = NODE.exec(line)!;
  let pos = node[0].length;
  const dashes = node[2]!;
  const key = KEY.exec(line.slice(pos));
  // A line with neither "- " nor "key:" continues a multi-line scalar: leave it.
  if (!key && !dashes) return line;
  const parent = key ? pos : pos - dashes.length + dashes.lastIndexOf("-");
  if (key) pos += key[0].length;
  pos += /^[ \t]*/.exec(line.slice(pos))![0].length;
  let tagged = false;
  for (let m; (m = /^([&!]\S*)[ \t]+/.exec(line.slice(pos))); pos += m[0].length) {
    if (m[1]!.startsWith("!")) tags.push({ line: lineNo, tag: m[1]! });
    tagged ||= m[1]!.startsWith("!");
  }
  const tag = /^!\S*$/.exec(line.slice(pos).trimEnd());
  if (tag) tags.push({ line: lineNo, tag: tag[0] });
  // An explicit tag decides the type in both YAML versions.
  if (tagged || tag) return line;
  const first = line[pos];
  if (first === '"' || first === "'") {
    if (closeIndex(line, first, pos + 1) < 0) state.quote = first;
    return line;
  }
  if (/^[|>][-+0-9]*[ \t]*(#.*)?\r?$/.test(line.slice(pos))) {
    state.block = parent;
    return line;
  }
  if (first === "[" || first === "{") return fixFlow(line, pos, lineNo, fixes);
  const plain = /^(.*?)[ \t]*(?:[ \t]#.*)?\r?$/.exec(line.slice(pos))![1]!;
  return replaceAt(line, pos, plain, lineNo, fixes);
}

/** A one-line flow collection: each item, or the value after "key: ", is a plain scalar unless quoted. */
function fixFlow(line: string, pos: number, lineNo: number, fixes: Yaml11Fix[]): string {
  const tokens: { start: number; text: string }[] = [];
  let start = -1;
  const flush = (end: number) => {
    const raw = start < 0 ? "" : line.slice(start, end);
    if (raw.trim()) tokens.push({ start: start + raw.length - raw.trimStart().length, text: raw.trim() });
    start = -1;
  };
  let i = pos;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if ((c === '"' || c === "'") && start < 0) {
      i = closeIndex(line, c, i + 1);
      // A quoted scalar running on to the next line: leave the whole collection alone.
      if (i < 0) return line;
    } else if ("[]{},".includes(c)) flush(i);
    else if (c === ":" && /[ \t]/.test(line[i + 1] ?? "")) start = -1;
    else if (c === "#" && /[ \t]/.test(line[i - 1] ?? "")) break;
    else if (start < 0 && !/[ \t\r]/.test(c)) start = i;
  }
  flush(i);
  // Right to left, so earlier offsets stay valid.
  return tokens.reverse().reduce((out, t) => replaceAt(out, t.start, t.text, lineNo, fixes), line);
}

function replaceAt(line: string, start: number, plain: string, lineNo: number, fixes: Yaml11Fix[]): string {
  if (plain === "") return line;
  const to = yaml12Spelling(plain);
  if (to === undefined) return line;
  fixes.push({ line: lineNo, from: plain, to });
  return line.slice(0, start) + to + line.slice(start + plain.length);
}

/** How to write `plain` so YAML 1.2 reads what YAML 1.1 reads, or undefined when they already agree. */
export function yaml12Spelling(plain: string): string | undefined {
  const meant = yaml11Value(plain);
  let read: unknown;
  try {
    read = (Bun.YAML.parse(`x: ${plain}`) as { x: unknown }).x;
  } catch {
    return undefined;
  }
  if (Object.is(read, meant)) return undefined;
  if (typeof meant === "string") return JSON.stringify(meant);
  if (typeof meant === "number" && !Number.isFinite(meant)) return Number.isNaN(meant) ? ".nan" : meant > 0 ? ".inf" : "-.inf";
  return String(meant);
}

const BOOL = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

/** The value PyYAML's SafeLoader resolves a plain scalar to (its implicit resolvers, in its order). */
export function yaml11Value(plain: string): string | number | boolean | null {
  if (BOOL.test(plain)) return /^(?:yes|true|on)$/i.test(plain);
  if (INT.test(plain)) return yaml11Int(plain.replace(/_/g, ""));
  if (FLOAT.test(plain)) return yaml11Float(plain.replace(/_/g, "").toLowerCase());
  if (NULL.test(plain)) return null;
  return plain;
}

function yaml11Int(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  const s = text.replace(/^[-+]/, "");
  if (s === "0") return 0;
  if (s.startsWith("0b")) return sign * parseInt(s.slice(2), 2);
  if (s.startsWith("0x")) return sign * parseInt(s.slice(2), 16);
  if (s.startsWith("0")) return sign * parseInt(s, 8);
  return sign * s.split(":").reduce((acc, digits) => acc * 60 + Number(digits), 0);
}

function yaml11Float(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  const s = text.replace(/^[-+]/, "");
  if (s === ".inf") return sign * Infinity;
  if (s === ".nan") return NaN;
  return sign * s.split(":").reduce((acc, digits) => acc * 60 + Number(digits), 0);
}

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)![0].length;
}

/** Where a quoted scalar opened before `from` closes on this line, or -1. */
function closeIndex(line: string, quote: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (quote === '"' && line[i] === "\\") i++;
    else if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}
