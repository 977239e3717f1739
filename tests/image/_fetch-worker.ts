/**
 * Runs one fetchImage in its own process, for the concurrency tests:
 * `bun _fetch-worker.ts REF DATA_DIR` (cache in DATA_DIR/images) prints the CachedImage, or {"error": {code, message}}.
 */
import { TestcloudError } from "../../lib/errors.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { join } from "node:path";

const [ref, dataDir] = process.argv.slice(2);
try {
  const image = await fetchImage(ref!, { imageDir: join(dataDir!, "images"), retryDelayMs: 50 });
  process.stdout.write(JSON.stringify(image) + "\n");
} catch (error) {
  const { code, message } = error instanceof TestcloudError ? error : { code: "E_INTERNAL", message: String(error) };
  process.stdout.write(JSON.stringify({ error: { code, message } }) + "\n");
  process.exitCode = 1;
}
