import type { ResolveContext } from "./_types.ts";
import { malformedIndex } from "./_errors.ts";
import { isRecord } from "./_shape.ts";

/** Which Fedora release numbers are rawhide, branched and current, per Bodhi. */
export interface FedoraBranches {
  rawhide: string | null;
  /** Pending or frozen releases other than rawhide: normally none or one. */
  branched: string[];
  current: string[];
}

// A runaway `pages` value must not turn one resolve into a crawl.
const MAX_PAGES = 20;

/** Reads Bodhi's release list (every page) as fedora-distro-aliases does. */
export async function fedoraBranches(context: ResolveContext): Promise<FedoraBranches> {
  const rows: Record<string, unknown>[] = [];
  for (let page = 1, pages = 1; page <= pages && page <= MAX_PAGES; page++) {
    const url = `${context.base("bodhi.fedoraproject.org")}/releases/?state=current&state=pending&state=frozen&page=${page}`;
    const doc = await context.json(url);
    if (!isRecord(doc) || !Array.isArray(doc.releases) || typeof doc.pages !== "number") {
      throw malformedIndex(url, "expected an object with a releases array and a pages count");
    }
    rows.push(...doc.releases.filter(isRecord));
    pages = doc.pages;
  }
  // Only Fedora proper: not FEDORA-CONTAINER, FEDORA-FLATPAK, FEDORA-EPEL or ELN (version "eln").
  const fedora = rows.filter(
    (r) => r.id_prefix === "FEDORA" && r.state !== "archived" && typeof r.version === "string" && /^\d+$/.test(r.version),
  );
  const numbers = (rs: Record<string, unknown>[]) =>
    [...new Set(rs.map((r) => r.version as string))].sort((a, b) => Number(b) - Number(a));
  const rawhide = numbers(fedora.filter((r) => r.branch === "rawhide"))[0] ?? null;
  return {
    rawhide,
    branched: numbers(fedora.filter((r) => (r.state === "pending" || r.state === "frozen") && r.version !== rawhide)),
    current: numbers(fedora.filter((r) => r.state === "current")),
  };
}
