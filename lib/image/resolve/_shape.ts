import { malformedIndex } from "./_errors.ts";

/** A JSON value that is a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Follows a path of object keys; undefined as soon as one step is not an object. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** A published digest: lowercase hex of the right length, else the index is malformed. */
export function hexDigest(value: unknown, algorithm: "sha256" | "sha512", indexUrl: string, what: string): string {
  const length = algorithm === "sha256" ? 64 : 128;
  if (typeof value !== "string" || !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) {
    throw malformedIndex(indexUrl, `${what} is not a ${algorithm} hex digest: ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

/** An absolute http(s) URL found inside an index, else the index is malformed. */
export function httpUrl(value: unknown, indexUrl: string, what: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw malformedIndex(indexUrl, `${what} is not an http(s) URL: ${JSON.stringify(value)}`);
  }
  return url.href;
}
