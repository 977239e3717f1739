/** The entry whose file name matches `pattern` with the greatest build stamp (its first capture group). */
export function newestEntry<T extends { file: string }>(entries: T[], pattern: RegExp): { entry: T; stamp: string } | null {
  let best: { entry: T; stamp: string } | null = null;
  for (const entry of entries) {
    const stamp = pattern.exec(entry.file)?.[1];
    if (stamp !== undefined && (!best || compareStamps(stamp, best.stamp) > 0)) best = { entry, stamp };
  }
  return best;
}

/**
 * Orders build stamps such as `20240401.0`, `9.8-20260526` or `9.10-20270101.0` by their
 * numeric runs, so 9.10 sorts after 9.8 (a string sort would not).
 */
export function compareStamps(a: string, b: string): number {
  const left = (a.match(/\d+/g) ?? []).map(Number);
  const right = (b.match(/\d+/g) ?? []).map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? -1) - (right[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
