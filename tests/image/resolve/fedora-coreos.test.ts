/** Fedora CoreOS stream metadata: which stream file is read, and what the result says. */
import { describe, expect, test } from "bun:test";
import { fixtureResponse, resolverFor, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve, failure } = resolverFor(server);

const STREAMS = "/fedora-coreos/builds.coreos.fedoraproject.org/streams";

describe("fedora-coreos", () => {
  test("names the uncompressed digest and the unverified signature in the notes", async () => {
    const image = await resolve("fedora-coreos");
    expect(image.notes).toContain(
      "uncompressed-sha256 (of the qcow2 after xz -d): 924811866346c35fa32ee8012be4d6c73b2428ac09a43dbcbba4b4dcd660f914",
    );
    expect(image.notes.some((n) => n.includes("signature was not verified") && n.endsWith(".qcow2.xz.sig"))).toBe(true);
  });

  test.each(["testing", "next"])("fedora-coreos:%s reads that stream's file", async (stream) => {
    const error = await failure(`fedora-coreos:${stream}`);
    // The fixtures hold only stable.json, so the request itself shows which file was read.
    expect(server.requests).toEqual([`${STREAMS}/${stream}.json`]);
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", exitCode: 6 });
  });

  test("a stream file that describes another stream is a malformed index", async () => {
    server.override(`${STREAMS}/next.json`, () => fixtureResponse("fedora-coreos/builds.coreos.fedoraproject.org/streams/stable.json"));
    const error = await failure("fedora-coreos:next");
    expect(error).toMatchObject({ code: "E_INDEX_MALFORMED", exitCode: 6 });
    expect(error.message).toContain('it describes stream "stable", not "next"');
  });
});
