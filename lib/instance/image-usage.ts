import { instanceNames, readRecord } from "./state.ts";
import { generationDirs, readGeneration, templateNames } from "./template-state.ts";

/**
 * Which instances and templates use which cached image: image digest → their names
 * (templates as "template:NAME"), from the instance records (`record.image.digest` is the
 * sha256 of the overlay's base) and every generation of every template (its disk is an
 * overlay on the image, and forks stand on that disk).
 */
export async function imageUsage(dataDir: string): Promise<Map<string, string[]>> {
  const names = await instanceNames(dataDir);
  const records = await Promise.all(names.map((name) => readRecord(dataDir, name)));
  const usage = new Map<string, string[]>();
  const add = (digest: unknown, user: string) => {
    if (typeof digest !== "string") return;
    const users = usage.get(digest) ?? [];
    if (!users.includes(user)) usage.set(digest, [...users, user]);
  };
  for (const record of records) if (record) add(record.image?.digest, record.name);
  for (const template of templateNames(dataDir)) {
    for (const dir of generationDirs(dataDir, template)) add(readGeneration(dir)?.image.digest, `template:${template}`);
  }
  return usage;
}
