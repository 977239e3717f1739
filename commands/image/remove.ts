import { removeImage, type RemovedImage } from "../../lib/image/remove-image.ts";
import { bytes } from "../../lib/image/progress.ts";
import { imageUsage } from "../../lib/instance/image-usage.ts";
import { defineAction, globalArgs } from "../_action.ts";

export default defineAction({
  group: "image",
  meta: { name: "remove", description: "Remove a cached image; refuses while an instance uses it" },
  args: {
    ref: { type: "positional", description: "Digest (or 8+ hex digits of it), source URL, path or shortcut", required: true },
    force: { type: "boolean", alias: "f", description: "Remove even if instances use it (they lose their base image)" },
    arch: { type: "string", description: "Architecture, for a shortcut cached for several", valueHint: "ARCH" },
    ...globalArgs,
  },
  run: (args, globals) =>
    removeImage(globals.imageDir, args.ref, { force: args.force, arch: args.arch, usage: () => imageUsage(globals.dataDir) }),
  human: (r: RemovedImage) => `removed sha256:${r.digest} (${bytes(r.size)})`,
});
