/**
 * Console text as it reads: without carriage returns and terminal control sequences (a
 * firmware's cursor moves, which may fall inside a word).
 */
export function withoutTerminalCodes(text: string): string {
  return text
    .replace(/\r/g, "")
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\x1b[@-Z\\-_c]/g, "");
}

/** The last `lines` non-empty lines of the serial console log, for error reports. */
export async function consoleTail(path: string, lines = 15): Promise<string[]> {
  const file = Bun.file(path);
  if (!(await file.exists())) return [];
  const size = file.size;
  // Only the end of a long log matters; read at most 64 KiB of it.
  const text = await file.slice(Math.max(0, size - 65536), size).text();
  return withoutTerminalCodes(text)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-lines);
}
