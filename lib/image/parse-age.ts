import { UsageError } from "../errors.ts";

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** Parses an age such as "30d", "12h", "2w" or "90m" into milliseconds. */
export function parseAge(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) {
    throw new UsageError(`Invalid ${flag}: ${JSON.stringify(text)}: expected an age such as 30d, 12h, 2w or 90m`);
  }
  return Math.round(Number(match[1]) * unit);
}
