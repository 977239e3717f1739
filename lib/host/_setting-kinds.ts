/**
 * The kinds of value a setting can have, each with its check (for TOML's typed values)
 * and its reading of text (from variables and flags). `check` returns undefined for a
 * value it rejects; the caller names the setting and says what was expected.
 */
import { isAbsolute } from "./posix-path.ts";
import { uriProblem } from "./check-uri.ts";
import { parseSize } from "./parse-size.ts";

export const text = (value: string) => value;
export const wholeNumber = (min: number, expected: string) => ({
  expected,
  check: (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= min ? v : undefined),
  fromText: (t: string) => (/^\d+$/.test(t.trim()) ? Number(t) : t),
});
export const oneOf = (values: string[]) => ({
  expected: `one of ${values.map((v) => `"${v}"`).join(", ")}`,
  check: (v: unknown) => (values.includes(v as string) ? v : undefined),
  fromText: text,
});
export const matching = (pattern: RegExp, expected: string) => ({
  expected,
  check: (v: unknown) => (typeof v === "string" && pattern.test(v) ? v : undefined),
  fromText: text,
});
export const absolutePath = {
  expected: "an absolute path",
  check: (v: unknown) => (typeof v === "string" && isAbsolute(v) ? v : undefined),
  fromText: text,
};
export const libvirtUri = {
  expected: 'a libvirt URI such as "qemu:///system" (no "ext" transport, no command= or netcat= parameters)',
  check: (v: unknown) => (typeof v === "string" && !/\s/.test(v) && uriProblem(v) === null ? v : undefined),
  fromText: text,
};
export const bool = {
  expected: "true or false",
  check: (v: unknown) => (typeof v === "boolean" ? v : undefined),
  fromText: (t: string) => ({ true: true, yes: true, "1": true, false: false, no: false, "0": false })[t.trim().toLowerCase()] ?? t,
};
export const bytes = {
  expected: 'a size such as "256G" or "512M"',
  check: (v: unknown) => {
    if (typeof v !== "string") return undefined;
    try {
      return parseSize(v, "size");
    } catch {
      return undefined;
    }
  },
  fromText: text,
};
export const size = {
  expected: 'a size such as "20G" or "512M", or "0" for the image\'s own size',
  check: (v: unknown) => (typeof v === "string" && v.trim() === "0" ? 0 : bytes.check(v)),
  fromText: text,
};

/**
 * A repeatable setting (a flag given many times): a TOML array, or items separated by
 * ";" in a variable. Each item is checked as `item` checks it.
 */
export function list<T>(item: { expected: string; check: (v: unknown) => unknown; fromText: (t: string) => unknown }) {
  return {
    expected: `a list of ${item.expected}`,
    check: (v: unknown) => {
      if (!Array.isArray(v)) return undefined;
      const checked = v.map((x) => item.check(x));
      return checked.every((x) => x !== undefined) ? (checked as T[]) : undefined;
    },
    fromText: (t: string) => t.split(";").map((x) => x.trim()).filter(Boolean).map((x) => item.fromText(x)),
  };
}
