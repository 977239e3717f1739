import { eventWriter, progress } from "../_events.ts";
import { logger } from "../../lib/cli/logger.ts";
import { ensureDataDir } from "../../lib/host/data-dir.ts";
import { fetchImage, type CachedImage } from "../../lib/image/fetch-image.ts";
import { bytes } from "../../lib/image/progress.ts";
import { commandConfig, defineAction, globalArgs } from "../_action.ts";

export default defineAction({
  group: "image",
  meta: { name: "pull", description: "Download an image into the cache and verify it, without creating an instance" },
  args: {
    ref: { type: "positional", description: "Image: a distro shortcut (fedora:41), an http(s):// or file:// URL, or a path", required: true },
    arch: { type: "string", description: "Architecture for shortcuts: x86_64, aarch64, ppc64le or s390x (default: this host's)", valueHint: "ARCH" },
    sha256: { type: "string", description: "Expected sha256 of the file as downloaded, or of the image after decompression", valueHint: "HEX" },
    offline: { type: "boolean", description: "Use only the cache: fail at once if the image is not in it (default: the offline setting, false)" },
    "allow-insecure-http": { type: "boolean", description: "Allow plain http to hosts other than this one; nothing read over it counts as verified (default: the allowInsecureHttp setting, false)" },
    ...globalArgs,
  },
  async run(args, globals): Promise<CachedImage> {
    const s = (await commandConfig(globals, { offline: args.offline, allowInsecureHttp: args["allow-insecure-http"] })).settings;
    ensureDataDir(globals.dataDir, globals.imageDir);
    return fetchImage(args.ref, {
      imageDir: globals.imageDir,
      arch: args.arch,
      sha256: args.sha256,
      offline: s.offline,
      baseUrls: s.baseUrls,
      allowInsecureHttp: s.allowInsecureHttp,
      maxImageSize: s.maxImageSize,
      signal: globals.signal,
      onProgress: progress(globals, globals.events ? eventWriter() : undefined),
      log: globals.json ? undefined : (message) => logger.info(message),
    });
  },
  human: (image: CachedImage) =>
    `${image.cached ? "cached" : "pulled"} sha256:${image.digest} (${image.format}, ${bytes(image.size)}, ${image.verified ? "verified" : "not verified"})\n${image.path}`,
});
