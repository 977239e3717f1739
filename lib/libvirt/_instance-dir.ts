/**
 * Reads the instance directory out of testcloud's <metadata> element as libvirt
 * returns it (virDomainGetMetadata with VIR_DOMAIN_METADATA_ELEMENT, which is
 * also what `virsh metadata DOMAIN NS` prints): libxml2's serialization of the
 * element with our namespace's prefix removed from every element in it,
 *
 *   <instance>
 *     <dir>/var/lib/testcloud/instances/web</dir>
 *     <created>2026-12-01T10:00:00.000Z</created>
 *   </instance>
 *
 * Anyone who may define domains can put anything in an element of our namespace,
 * so this reads the XML token by token (comments, CDATA, processing instructions,
 * '>' inside attribute values, nested elements) instead of matching a pattern.
 */

// One token at the cursor: comment, PI, CDATA, end tag, start tag (with its attributes), text.
const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<\/([^\s<>/]+)\s*>|<([^\s<>/!?]+)((?:\s+[^\s<>/=]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)/y;
// One attribute; taken in turn from the attributes TOKEN matched, so a value is never read as a name.
const ATTRIBUTE = /\s+([^\s<>/=]+)\s*=\s*(?:"[^"<]*"|'[^'<]*')/g;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));|&/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** One XML token; comments and processing instructions are dropped. */
type Token = { start: string; attrs: string[]; empty: boolean } | { end: string } | { text: string };

class Malformed extends Error {}

/**
 * The text of the one `<dir>` child of the root `<instance>`, entity references
 * decoded, not trimmed. Null when there is none, more than one, or markup inside
 * it, and for malformed XML: then the domain is not one we can claim. An element
 * that libvirt shows with a prefix or a default-namespace `xmlns` is in another
 * namespace and does not count (a root with `xmlns` puts its plain children there).
 */
export function parseInstanceDir(xml: string): string | null {
  try {
    return instanceDir(tokens(xml));
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}

function instanceDir(tokens: Token[]): string | null {
  const open: string[] = [];
  const dirs: string[] = [];
  let root = 0;
  let inDir = false;
  for (const token of tokens) {
    if ("text" in token) {
      if (inDir) dirs[dirs.length - 1] += token.text;
      else if (open.length === 0 && token.text.trim() !== "") throw new Malformed();
    } else if ("end" in token) {
      if (open.pop() !== token.end) throw new Malformed();
      inDir = false;
    } else {
      if (inDir) throw new Malformed(); // markup inside <dir>: not ours
      if (open.length === 0 && (root++ || token.start !== "instance" || token.attrs.includes("xmlns"))) throw new Malformed();
      const ours = open.length === 1 && token.start === "dir" && !token.attrs.includes("xmlns");
      if (ours) dirs.push("");
      if (!token.empty) open.push(token.start);
      inDir = ours && !token.empty;
    }
  }
  if (open.length > 0 || root !== 1) throw new Malformed();
  return dirs.length === 1 ? dirs[0]! : null;
}

function tokens(xml: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < xml.length) {
    const m = TOKEN.exec(xml);
    if (!m) throw new Malformed(); // a stray '<', a DOCTYPE, an unquoted attribute
    const [, cdata, end, start, attrs, empty, text] = m;
    if (cdata !== undefined) out.push({ text: cdata });
    else if (end !== undefined) out.push({ end });
    else if (start !== undefined) {
      const names = [...attrs!.matchAll(ATTRIBUTE)].map((a) => a[1]!);
      out.push({ start, attrs: names, empty: empty === "/" });
    } else if (text !== undefined) out.push({ text: decode(text) });
  }
  return out;
}

/** Replaces the predefined and numeric character references; any other '&' is malformed. */
function decode(text: string): string {
  return text.replace(ENTITY, (_match, name?: string, dec?: string, hex?: string) => {
    if (name) return NAMED[name]!;
    const code = dec ? Number(dec) : hex ? parseInt(hex, 16) : NaN;
    if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) throw new Malformed();
    return String.fromCodePoint(code);
  });
}
