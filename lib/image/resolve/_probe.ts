import type { Resolution } from "./_types.ts";

/**
 * For a bare shortcut (`debian`, `alma`, …): the newest known major version whose index
 * the mirror has. A missing index (null) moves on to the next older one and says so in
 * the notes, so a table that names a release before its images exist still resolves.
 */
export async function newestAvailable(
  label: string,
  versions: string[],
  resolve: (version: string) => Promise<Resolution | null>,
): Promise<Resolution | null> {
  const skipped: string[] = [];
  for (const version of versions) {
    const resolved = await resolve(version);
    if (resolved) {
      const note = skipped.length > 0 ? [`No image index found for ${label} ${skipped.join(", ")}: using ${version}`] : [];
      return { ...resolved, notes: [...note, ...resolved.notes] };
    }
    skipped.push(version);
  }
  return null;
}
