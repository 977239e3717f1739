import { UsageError } from "../errors.ts";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Parses "20G", "512MiB", "10gb" or plain bytes into bytes (binary units). */
export function parseSize(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) {
    throw new UsageError(`Invalid ${flag}: ${JSON.stringify(text)}: expected a size such as 20G or 512M`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes <= 0) throw new UsageError(`Invalid ${flag}: ${JSON.stringify(text)}: must be larger than zero`);
  return bytes;
}
