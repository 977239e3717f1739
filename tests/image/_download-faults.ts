/**
 * Shared by the download fault tests (download-faults, download-interrupted): the 1 MiB raw
 * disk the servers send, and a fetch with fast retries and stall detection, which keep each
 * test well under a second.
 */
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import { images } from "./_cache-helpers.ts";
import { rawDisk } from "./_image-server.ts";

export const DISK = rawDisk(1 << 20);
const fast: Omit<FetchOptions, "imageDir"> = { retryDelayMs: 5, stallMs: 300 };

/** fetchImage into `dataDir`'s cache with fast retries and stall detection. */
export async function fetchFast(ref: string, dataDir: string, options: Partial<FetchOptions> = {}) {
  return fetchImage(ref, { imageDir: images(dataDir), ...fast, ...options });
}
