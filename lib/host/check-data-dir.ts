import type { DirKind } from "./data-dir.ts";
import { nothingAt } from "./nothing-at.ts";

/**
 * Checks a data dir (or the image cache, `kind` "image") before anything in it is read or
 * trusted, as checkDataDirSync (data-dir.ts) does. A dir that does not exist, the case of
 * `list` on a fresh host, is known without loading node:fs, which costs start-up time.
 */
export async function checkDataDir(dataDir: string, uid = process.getuid?.() ?? 0, kind: DirKind = "data"): Promise<void> {
  if (nothingAt(dataDir)) return;
  const { checkDataDirSync } = await import("./data-dir.ts");
  checkDataDirSync(dataDir, uid, kind);
}
