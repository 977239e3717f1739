/** Debian's per-image JSON manifest: what it must contain. */
import { describe, expect, test } from "bun:test";
import { fixtureText, resolverFor, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve, failure } = resolverFor(server);

const MANIFEST = "/debian/cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.json";

/** Serves the amd64 manifest with `from` replaced by `to`. */
function serveEdited(from: string, to: string) {
  server.override(MANIFEST, async () => new Response((await fixtureText(MANIFEST.slice(1))).replace(from, to)));
}

describe("debian", () => {
  test("names the build it resolved to", async () => {
    expect((await resolve("debian:12")).notes).toContain("Build 20250210-2019");
  });

  const broken: [string, string, string, string][] = [
    ["a digest that is not sha512", "sha512:pY2GUl11", "sha256:pY2GUl11", "not \"sha512:<base64>\""],
    ["a ref that leaves images/cloud", '"ref": "bookworm/20250210-2019/debian-12-genericcloud-amd64-20250210-2019.qcow2"', '"ref": "../../../elsewhere.qcow2"', "no usable data.ref"],
    ["no qcow2 upload", '"upload.cloud.debian.org/image-format": "qcow2"', '"upload.cloud.debian.org/image-format": "vhd"', "no Upload item in qcow2 format"],
  ];

  test.each(broken)("a manifest with %s is a malformed index", async (_what, from, to, detail) => {
    serveEdited(from, to);
    const error = await failure("debian:12");
    expect(error).toMatchObject({ code: "E_INDEX_MALFORMED", exitCode: 6 });
    expect(error.message).toContain(detail);
  });
});
