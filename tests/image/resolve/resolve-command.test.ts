/**
 * `testcloud image resolve` run in-process, as main() runs it, against the
 * fixture server (reached through TESTCLOUD_MIRRORS, as a user's mirror would be).
 */
import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import imageCommand from "../../../commands/image/index.ts";
import { setGlobals } from "../../../commands/_action.ts";
import { streams } from "../../../lib/cli/output.ts";
import { UsageError } from "../../../lib/errors.ts";
import type { ResolvedImage } from "../../../lib/image/resolve/resolve-shortcut.ts";
import { useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.TESTCLOUD_MIRRORS;
  process.env.TESTCLOUD_MIRRORS = JSON.stringify(server.baseUrls);
});

afterEach(() => {
  if (saved === undefined) delete process.env.TESTCLOUD_MIRRORS;
  else process.env.TESTCLOUD_MIRRORS = saved;
});

/** Runs `image ARGS…` and returns what it wrote to stdout. */
async function image(args: string[], json: boolean): Promise<string> {
  setGlobals({ json, verbose: false, uri: "test:///default", dataDir: "/nonexistent", imageDir: "/nonexistent/images", signal: new AbortController().signal });
  const chunks: string[] = [];
  const write = spyOn(streams, "out").mockImplementation((text: string) => {
    chunks.push(text);
  });
  try {
    await imageCommand.run({ rawArgs: args });
  } finally {
    write.mockRestore();
  }
  return chunks.join("");
}

describe("testcloud image resolve", () => {
  test("--json prints one ResolvedImage document", async () => {
    const doc = JSON.parse(await image(["resolve", "fedora:41", "--arch", "aarch64"], true)) as ResolvedImage;
    expect(doc).toMatchObject({
      reference: "fedora:41",
      distro: "fedora",
      version: "41",
      arch: "aarch64",
      checksum: { algorithm: "sha256", value: "085883b42c7e3b980e366a1fe006cd0ff15877f7e6e984426f3c6c67c7cc2faa" },
      checksumSource: `${server.origin}/fedora/fedoraproject.org/releases.json`,
    });
  });

  test("prints the URL, digest and its source for humans", async () => {
    const text = await image(["resolve", "debian:bookworm", "--arch", "x86_64"], false);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("debian:bookworm → debian 12 (x86_64)");
    expect(lines[1]).toBe(
      `url:     ${server.origin}/debian/cloud.debian.org/images/cloud/bookworm/20250210-2019/debian-12-genericcloud-amd64-20250210-2019.qcow2`,
    );
    expect(lines[2]).toStartWith("digest:  sha512:a58d86525d75fd8e");
    expect(lines[3]).toBe(`from:    ${server.origin}/debian/cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.json`);
    expect(lines[4]).toBe("format:  qcow2");
  });

  test("shows a compressed image as such", async () => {
    const text = await image(["resolve", "fedora-coreos", "--arch", "x86_64"], false);
    expect(text).toContain("format:  qcow2, xz-compressed\n");
  });

  const refused: [string, string[], string][] = [
    ["a URL, which is not a shortcut", ["resolve", "https://example.org/x.qcow2"], "E_UNKNOWN_IMAGE"],
    ["an unknown architecture", ["resolve", "fedora:41", "--arch", "sparc"], "E_USAGE"],
    ["no image command", [], "E_USAGE"],
  ];

  test.each(refused)("refuses %s with a usage error", async (_what, args, code) => {
    const error = await image(args, true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code });
  });

  test("refuses a TESTCLOUD_MIRRORS that is not JSON", async () => {
    process.env.TESTCLOUD_MIRRORS = "{oops";
    const error = await image(["resolve", "fedora:41"], true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toStartWith("Invalid TESTCLOUD_MIRRORS: not JSON");
  });
});
