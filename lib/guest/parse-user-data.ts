import type { UsageError } from "../errors.ts";
import { INPUTS, invalidInput } from "./_read-input.ts";
import { isMapping, parseYaml11 } from "./_parse-yaml11.ts";

/** A user's user-data: a #cloud-config to merge with ours, or anything else to pass through untouched. */
export type UserData =
  | { kind: "cloud-config"; path: string; config: Record<string, unknown> }
  | { kind: "passthrough"; path: string; type: string; text: string };

/** cloud-init's own first-line prefixes (cloudinit/handlers INCLUSION_TYPES_MAP); the longest match wins. */
const PREFIXES: [string, string][] = [
  ["#cloud-config-archive", "cloud-config-archive"],
  ["#cloud-config-jsonp", "cloud-config-jsonp"],
  ["## template: jinja", "jinja2"],
  ["#cloud-boothook", "cloud-boothook"],
  ["#cloud-config", "cloud-config"],
  ["#include-once", "include-once-url"],
  ["#part-handler", "part-handler"],
  ["#include", "include-url"],
  ["#!", "shellscript"],
];

/**
 * Classifies user-data the way cloud-init does (a "MIME-Version:" header in the
 * first 4096 bytes makes it MIME, else the first line's prefix decides) and
 * parses a #cloud-config for merging. Anything cloud-init would ignore is an error.
 */
export function parseUserData(source: string, path: string): UserData {
  const text = source.replace(/^\uFEFF/, "");
  if (/mime-version:/i.test(text.slice(0, 4096))) return { kind: "passthrough", path, type: "multipart", text };
  if (/^content-type:/i.test(text)) {
    throw invalid(path, 'a MIME message needs a "MIME-Version: 1.0" header, or cloud-init ignores it');
  }
  if (text.trim() === "") throw invalid(path, "the file is empty");
  // cloud-init compares lowercased, after leading whitespace.
  const head = text.trimStart().toLowerCase();
  const type = PREFIXES.find(([prefix]) => head.startsWith(prefix))?.[1];
  if (type === "cloud-config") return { kind: "cloud-config", path, ...parseCloudConfig(text, path) };
  if (type) return { kind: "passthrough", path, type, text };
  throw invalid(path, 'cloud-init would ignore it: start it with "#cloud-config", "#!", "#include", "## template: jinja" or MIME headers', {
    hint: looksLikeMapping(text) ? 'add "#cloud-config" as its first line' : undefined,
  });
}

function parseCloudConfig(text: string, path: string): { config: Record<string, unknown> } {
  const parsed = parseYaml11(text);
  if (!parsed.ok) throw invalid(path, parsed.error);
  const tag = parsed.tags.find((t) => t.tag !== "!!str");
  if (tag) {
    throw invalid(path, `line ${tag.line}: YAML tag ${tag.tag} cannot be merged`, {
      hint: tag.tag === "!!binary" ? "use write_files with encoding: b64 instead" : undefined,
    });
  }
  if (parsed.value === null) return { config: {} };
  if (!isMapping(parsed.value)) throw invalid(path, "expected a YAML mapping");
  return { config: parsed.value };
}

function looksLikeMapping(text: string): boolean {
  const parsed = parseYaml11(text);
  return parsed.ok && isMapping(parsed.value);
}

function invalid(path: string, detail: string, extra: { hint?: string } = {}): UsageError {
  return invalidInput(path, INPUTS.userData, detail, extra.hint);
}
