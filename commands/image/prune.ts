import { parseSize } from "../../lib/host/parse-size.ts";
import { parseAge } from "../../lib/image/parse-age.ts";
import { pruneImages, type PruneResult } from "../../lib/image/prune-images.ts";
import { bytes } from "../../lib/image/progress.ts";
import { imageUsage } from "../../lib/instance/image-usage.ts";
import { defineAction, globalArgs } from "../_action.ts";

export default defineAction({
  group: "image",
  meta: {
    name: "prune",
    description: "Remove cached images no instance uses (all of them, or only as --older-than/--max-size say)",
  },
  args: {
    "older-than": { type: "string", description: "Only images not used for this long, e.g. 30d, 12h, 2w", valueHint: "AGE" },
    "max-size": { type: "string", description: "Then least recently used ones until the cache fits, e.g. 20G", valueHint: "SIZE" },
    ...globalArgs,
  },
  run: (args, globals) =>
    pruneImages(globals.imageDir, {
      olderThanMs: args["older-than"] === undefined ? undefined : parseAge(args["older-than"], "--older-than"),
      maxSize: args["max-size"] === undefined ? undefined : parseSize(args["max-size"], "--max-size"),
      usage: () => imageUsage(globals.dataDir),
    }),
  human: (r: PruneResult) =>
    [
      ...r.removed.map((i) => `removed sha256:${i.digest} (${bytes(i.size)})`),
      ...r.orphans.map((o) => `removed unindexed image file ${o.path} (${bytes(o.size)})`),
      ...r.partials.map((p) => `removed partial download ${p.path} (${bytes(p.size)})`),
      `freed ${bytes(r.bytesFreed)}, ${bytes(r.bytesKept)} left in the cache`,
    ].join("\n"),
});
