import type { ValueKind } from "./_command-spec.ts";

/** What valueKind needs of a citty argument definition. */
interface ArgDefLike {
  type?: string;
  valueHint?: string;
  options?: readonly (string | number)[];
}

// A value hint that lists every value, as "ssh|cloud-init" or "q35|pc" does.
const WORD_LIST = /^[a-z0-9_-]+(\|[a-z0-9_-]+)+$/;

/**
 * What a shell offers for an argument of the verb at `path` (["image", "remove"]), from
 * its definition: the words its type or value hint lists, files for FILE, and what only
 * testcloud knows (instances, templates, cached images, libvirt networks, configured hosts) for the arguments that
 * name one. Anything else is free text.
 */
export function valueKind(path: readonly string[], name: string, def: ArgDefLike): ValueKind {
  if (def.type === "boolean") return { kind: "none" };
  if (def.type === "enum" && def.options?.length) return { kind: "words", words: def.options.map(String) };
  const hint = def.valueHint ?? "";
  if (def.type === "positional") return positionalKind(path.join(" "), name, hint);
  if (name === "connect") return { kind: "words", words: ["system", "session"] };
  if (name === "host") return { kind: "dynamic", source: "hosts", words: ["auto"] };
  if (name === "from") return { kind: "dynamic", source: "templates" };
  if (name === "network" || name === "nic") return { kind: "dynamic", source: "networks", words: ["user"] };
  if (hint === "FILE") return { kind: "files" };
  if (hint.startsWith("HOSTDIR")) return { kind: "dirs" };
  if (WORD_LIST.test(hint)) return { kind: "words", words: hint.split("|") };
  return { kind: "text" };
}

function positionalKind(verb: string, name: string, hint: string): ValueKind {
  if (verb === "template remove") return { kind: "dynamic", source: "templates" };
  // Every other verb's positional NAME is an existing instance (create names a new one with --name).
  if (name === "name") return { kind: "dynamic", source: "instances" };
  if (verb === "image remove") return { kind: "dynamic", source: "cached" };
  // A path, a URL or a shortcut: what the cache has seen, and the files here.
  if (verb === "create" || verb === "image pull") return { kind: "dynamic", source: "images", files: true };
  if (WORD_LIST.test(hint)) return { kind: "words", words: hint.split("|") };
  return { kind: "text" };
}
