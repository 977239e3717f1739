import { closeSync, fsyncSync, openSync, renameSync } from "node:fs";

/** Writes a JSON file atomically (temp file, fsync, rename). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  await Bun.write(tmp, JSON.stringify(value, null, 2) + "\n");
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}
