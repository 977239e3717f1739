/** Rocky Linux beyond its CHECKSUM file. */
import { describe, expect, test } from "bun:test";
import { resolverFor, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve } = resolverFor(server);

const IMAGES = "/rocky/dl.rockylinux.org/pub/rocky/9/images/x86_64/";

describe("rocky", () => {
  test("without a CHECKSUM file, takes the GenericCloud-Base.latest image and its own checksum file", async () => {
    server.override(`${IMAGES}CHECKSUM`, () => new Response("Not Found", { status: 404 }));
    const image = await resolve("rocky:9");
    expect(image.url).toBe(`${server.origin}${IMAGES}Rocky-9-GenericCloud-Base.latest.x86_64.qcow2`);
    expect(image.checksum?.value).toBe("92c206cc6f790c61583247eefe87890f8828420662c17cacf247cec78ab4eec8");
    expect(image.checksumSource).toBe(`${server.origin}${IMAGES}Rocky-9-GenericCloud-Base.latest.x86_64.qcow2.CHECKSUM`);
    expect(image.notes[0]).toContain("rolling .latest image");
  });
});
