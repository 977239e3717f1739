/**
 * Plays a `create` between fetching its image and writing its record, for the use-lease
 * tests: `bun _lease-worker.ts REF DATA_DIR` fetches with `lease: true` (its log on stderr),
 * prints the image as JSON, holds the lease until told "release" on stdin (then prints "released"), and
 * stays alive until stdin closes or it is killed.
 */
import { fetchImage } from "../../lib/image/fetch-image.ts";
import { join } from "node:path";

const [ref, dataDir] = process.argv.slice(2);
const image = await fetchImage(ref!, { imageDir: join(dataDir!, "images"), lease: true, log: (message) => console.error(message) });
console.log(JSON.stringify(image));
const alive = setInterval(() => {}, 1000);
for await (const line of console) {
  if (line !== "release") continue;
  image.release();
  console.log("released");
}
clearInterval(alive);
