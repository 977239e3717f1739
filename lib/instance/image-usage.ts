import { instanceNames, readRecord } from "./state.ts";

/**
 * Which instances use which cached image: image digest → instance names, from the
 * instance records (`record.image.digest` is the sha256 of the overlay's base).
 */
export async function imageUsage(dataDir: string): Promise<Map<string, string[]>> {
  const names = await instanceNames(dataDir);
  const records = await Promise.all(names.map((name) => readRecord(dataDir, name)));
  const usage = new Map<string, string[]>();
  for (const record of records) {
    const digest = record?.image?.digest;
    if (!record || typeof digest !== "string") continue;
    usage.set(digest, [...(usage.get(digest) ?? []), record.name]);
  }
  return usage;
}
