import { rename } from "node:fs/promises";
import { buildIso } from "./iso9660.ts";

export interface SeedFiles {
  metaData: string;
  userData: string;
  networkConfig?: string;
  vendorData?: string;
}

/** Writes the NoCloud seed: an ISO9660 image labelled `cidata`, made in-process. */
export async function writeSeed(path: string, seed: SeedFiles): Promise<void> {
  const files = [
    { name: "meta-data", data: seed.metaData },
    { name: "user-data", data: seed.userData },
  ];
  if (seed.networkConfig !== undefined) files.push({ name: "network-config", data: seed.networkConfig });
  if (seed.vendorData !== undefined) files.push({ name: "vendor-data", data: seed.vendorData });
  const tmp = `${path}.tmp`;
  await Bun.write(tmp, buildIso({ volumeId: "cidata", files }));
  await rename(tmp, path);
}
