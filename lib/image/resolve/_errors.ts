import { ImageError, NotFoundError } from "../../errors.ts";

/** The distro's index does not know the version the user asked for. */
export function unknownVersion(distro: string, version: string, known: string[], hint?: string): NotFoundError {
  const detail = known.length > 0 ? `: known versions are ${known.join(", ")}` : "";
  return new NotFoundError(`Unknown ${distro} version: "${version}"${detail}`, { code: "E_UNKNOWN_VERSION", hint });
}

/** The version exists but nothing was published for this architecture. */
export function noImageForArch(what: string, arch: string, where: string, available: string[] = []): NotFoundError {
  const detail = available.length > 0 ? `: it lists ${available.join(", ")}` : "";
  return new NotFoundError(`No ${what} image for ${arch} in "${where}"${detail}`, { code: "E_UNKNOWN_VERSION" });
}

/** An index was fetched but does not have the shape its distro publishes. */
export function malformedIndex(url: string, detail: string): ImageError {
  return new ImageError(`Malformed image index: "${url}": ${detail}`, { code: "E_INDEX_MALFORMED" });
}

/** An index could not be fetched: HTTP error, network error or timeout. */
export function indexUnavailable(url: string, detail: string, cause?: unknown): ImageError {
  return new ImageError(`Image index unavailable: "${url}": ${detail}`, { code: "E_INDEX_UNAVAILABLE", cause });
}
