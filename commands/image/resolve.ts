import { UsageError } from "../../lib/errors.ts";
import { parseReference } from "../../lib/image/parse-reference.ts";
import { baseUrlsFromEnv } from "../../lib/image/resolve/base-urls.ts";
import { resolveShortcut, type Arch, type ResolvedImage } from "../../lib/image/resolve/resolve-shortcut.ts";
import { defineAction, globalArgs } from "../_action.ts";

export default defineAction({
  meta: { name: "resolve", description: "Show the URL and published digest a distro shortcut resolves to, without downloading" },
  args: {
    ref: { type: "positional", description: "Distro shortcut, e.g. fedora:41, debian:bookworm, ubuntu:24.04", required: true },
    arch: { type: "string", description: "Architecture: x86_64, aarch64, ppc64le or s390x (default: this host's)", valueHint: "ARCH" },
    ...globalArgs,
  },
  run(args, globals) {
    const ref = parseReference(args.ref);
    if (ref.kind !== "shortcut") {
      throw new UsageError(`Not a distro shortcut: "${args.ref}": only shortcuts such as fedora:41 are resolved`, {
        code: "E_UNKNOWN_IMAGE",
      });
    }
    return resolveShortcut(ref.distro, ref.version, {
      // resolveShortcut checks the name and accepts amd64/arm64 as aliases.
      arch: args.arch as Arch | undefined,
      baseUrls: baseUrlsFromEnv(),
      signal: globals.signal,
    });
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
