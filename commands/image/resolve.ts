import { NotFoundError, UsageError } from "../../lib/errors.ts";
import { parseReference } from "../../lib/image/parse-reference.ts";
import { resolveShortcut, type Arch, type ResolvedImage, type ResolveOptions } from "../../lib/image/resolve/resolve-shortcut.ts";
import { commandConfig, defineAction, globalArgs } from "../_action.ts";

export default defineAction({
  group: "image",
  meta: { name: "resolve", description: "Show the URL and published digest a distro shortcut resolves to, without downloading" },
  args: {
    ref: { type: "positional", description: "Distro shortcut, e.g. fedora:41, debian:bookworm, ubuntu:24.04", required: true },
    arch: { type: "string", description: "Architecture: x86_64, aarch64, ppc64le or s390x (default: this host's)", valueHint: "ARCH" },
    offline: { type: "boolean", description: "Read no index over the network: fail at once unless none is needed (default: the offline setting, false)" },
    "allow-insecure-http": { type: "boolean", description: "Allow plain http to hosts other than this one; nothing read over it counts as verified (default: the allowInsecureHttp setting, false)" },
    ...globalArgs,
  },
  async run(args, globals) {
    const ref = parseReference(args.ref);
    if (ref.kind !== "shortcut") {
      throw new UsageError(`Not a distro shortcut: "${args.ref}": only shortcuts such as fedora:41 are resolved`, {
        code: "E_UNKNOWN_IMAGE",
      });
    }
    const s = (await commandConfig(globals, { offline: args.offline, allowInsecureHttp: args["allow-insecure-http"] })).settings;
    // resolveShortcut checks the arch name and accepts amd64/arm64 as aliases.
    const options: ResolveOptions = {
      arch: args.arch as Arch | undefined,
      baseUrls: s.baseUrls,
      signal: globals.signal,
      allowInsecureHttp: s.allowInsecureHttp,
    };
    if (!s.offline) return resolveShortcut(ref.distro, ref.version, options);
    const hint = `testcloud image resolve ${args.ref}${args.arch ? ` --arch ${args.arch}` : ""} --no-offline`;
    return resolveOffline(args.ref, ref.distro, ref.version, options, hint);
  },
  human(image: ResolvedImage) {
    const digest = image.checksum ? `${image.checksum.algorithm}:${image.checksum.value}` : "none published";
    const format = image.compression ? `${image.format}, ${image.compression}-compressed` : image.format;
    const lines = [
      `${image.reference} → ${image.distro} ${image.version} (${image.arch})`,
      `url:     ${image.url}`,
      `digest:  ${digest}`,
      `from:    ${image.checksumSource ?? "-"}`,
      `format:  ${format}`,
      ...image.notes.map((note) => `note:    ${note}`),
    ];
    return lines.join("\n");
  },
});

/**
 * Offline, as fetchImage's offline mode does for a shortcut it never fetched: an unknown
 * shortcut or version is still told apart, an answer that needs no index is given, and
 * anything that would read an index is E_NOT_CACHED at once, without a request.
 */
async function resolveOffline(
  reference: string,
  distro: string,
  version: string | undefined,
  options: ResolveOptions,
  hint: string,
): Promise<ResolvedImage> {
  try {
    return await resolveShortcut(distro, version, { ...options, offline: true });
  } catch (error) {
    if (error instanceof UsageError || (error instanceof NotFoundError && error.code === "E_UNKNOWN_VERSION")) throw error;
    throw new NotFoundError(`Cannot resolve offline: "${reference}": resolving reads the distro's index over the network`, {
      code: "E_NOT_CACHED",
      hint,
    });
  }
}
