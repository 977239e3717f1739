import { CST, isNode, Lexer, LineCounter, parseAllDocuments, visit, type YAMLError } from "yaml";
import { pyyamlTags } from "./_pyyaml-scalars.ts";

/** One YAML document read as cloud-init reads it, with the explicit tags it used. */
export type Yaml11Result =
  | { ok: true; value: unknown; tags: { tag: string; line: number }[] }
  | { ok: false; error: string };

// PyYAML expands aliases without a limit; a few are normal, thousands are a "billion laughs".
const MAX_ALIAS_COUNT = 100;
const SHORT_TAGS: [string, string][] = [["tag:yaml.org,2002:", "!!"]];

/**
 * Parses one YAML document as YAML 1.1 with PyYAML's scalar rules (`yes` is true, `0644`
 * is 420, `1:30` is 90, a repeated key keeps its last value). A syntax error names its
 * line and column; several documents are an error, as they are to PyYAML's safe_load.
 */
export function parseYaml11(text: string): Yaml11Result {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { version: "1.1", customTags: pyyamlTags, uniqueKeys: false, prettyErrors: false, lineCounter });
  // Only comments, or nothing: PyYAML reads None.
  if (docs.length === 0) return { ok: true, value: null, tags: [] };
  if (docs.length > 1) return { ok: false, error: "expected one YAML document, found several" };
  const doc = docs[0]!;
  const error = doc.errors[0];
  if (error) return { ok: false, error: located(error, lineCounter) };
  const tab = pyyamlTab(text);
  if (tab >= 0) {
    const { line, col } = lineCounter.linePos(tab);
    return { ok: false, error: `line ${line}, column ${col}: a tab outside quotes, block text and comments, which cloud-init's YAML reader (PyYAML) refuses: use spaces` };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), tags: explicitTags(doc, lineCounter) };
  } catch (error) {
    // toJS throws for an alias count that looks like an attack, or an alias to nothing.
    return { ok: false, error: (error as Error).message };
  }
}

/** A YAML mapping read into a plain object (not a list, a scalar or null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function located(error: YAMLError, lineCounter: LineCounter): string {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return `line ${line}, column ${col}: ${error.message}`;
}

// The lexer's own markers, which stand for no text of the source.
const MARKERS = new Set(["\u0002", "\u0018", "\u001f"]);

/**
 * Where the first tab is that PyYAML's scanner would stop at, or -1. YAML allows tabs as
 * separators; PyYAML only inside quoted scalars, block scalars and comments.
 */
function pyyamlTab(text: string): number {
  let offset = 0;
  let blockHeader = false;
  let scalarNext = false;
  for (const source of new Lexer().lex(text)) {
    const type = CST.tokenType(source);
    if (MARKERS.has(source)) {
      scalarNext = type === "scalar";
      continue;
    }
    const tabAllowed = scalarNext ? blockHeader : type !== "space";
    if (scalarNext) blockHeader = false;
    if (type === "block-scalar-header") blockHeader = true;
    if (!tabAllowed && source.includes("\t")) return offset + source.indexOf("\t");
    scalarNext = false;
    offset += source.length;
  }
  return -1;
}

function explicitTags(doc: Parameters<typeof visit>[0], lineCounter: LineCounter): { tag: string; line: number }[] {
  const tags: { tag: string; line: number }[] = [];
  visit(doc, (_key, node) => {
    if (!isNode(node) || !node.tag || !node.range) return;
    const tag = SHORT_TAGS.reduce((t, [long, short]) => (t.startsWith(long) ? short + t.slice(long.length) : t), node.tag);
    tags.push({ tag, line: lineCounter.linePos(node.range[0]).line });
  });
  return tags;
}
