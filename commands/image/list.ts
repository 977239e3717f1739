import { listImages, type ImageEntry } from "../../lib/image/list-images.ts";
import { bytes } from "../../lib/image/progress.ts";
import { imageUsage } from "../../lib/instance/image-usage.ts";
import { defineAction, globalArgs } from "../_action.ts";
import { formatTable } from "../_format.ts";

export default defineAction({
  group: "image",
  meta: { name: "list", description: "List cached images: digest, size, last use, instances using them, sources" },
  args: { ...globalArgs },
  run: async (_args, globals) => listImages(globals.imageDir, await imageUsage(globals.dataDir)),
  human(list: ImageEntry[]) {
    if (list.length === 0) return "";
    const rows = list.map((i) => [
      i.digest.slice(0, 12),
      bytes(i.size),
      i.format,
      i.lastUsed.slice(0, 16).replace("T", " "),
      i.instances.join(",") || "-",
      [...i.references.map((r) => r.reference), ...i.sources].join(" ") || "-",
    ]);
    return formatTable([["DIGEST", "SIZE", "FORMAT", "LAST USED (UTC)", "INSTANCES", "SOURCES"], ...rows]);
  },
});
