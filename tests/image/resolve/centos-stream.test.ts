/**
 * CentOS Stream beyond its CHECKSUM file: the directory listing and the per-image
 * `.SHA256SUM` files that newer composes publish instead.
 */
import { describe, expect, test } from "bun:test";
import { listingResponse, resolverFor, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve, failure } = resolverFor(server);

const NINE_AARCH64 = "/centos-stream/cloud.centos.org/centos/9-stream/aarch64/images/";
const SIDECAR_ROOT = "/centos-stream/_variants/2026-07-20-per-image-sidecar/cloud.centos.org";
const SIDECAR_IMAGES = `${SIDECAR_ROOT}/centos/9-stream/x86_64/images/`;
const SIDECAR_IMAGE = "CentOS-Stream-GenericCloud-9-20260720.0.x86_64.qcow2";

describe("centos-stream without a CHECKSUM file", () => {
  test("takes the newest image of the listing and its own .SHA256SUM file", async () => {
    // The 2026 variant has no CHECKSUM; its listing is not captured, so the test names the two files.
    server.override(SIDECAR_IMAGES, () => listingResponse([SIDECAR_IMAGE, `${SIDECAR_IMAGE}.SHA256SUM`]));
    const image = await resolve("centos-stream:9", "x86_64", {
      baseUrls: { ...server.baseUrls, "cloud.centos.org": `${server.origin}${SIDECAR_ROOT}` },
    });
    expect(image.url).toBe(`${server.origin}${SIDECAR_IMAGES}${SIDECAR_IMAGE}`);
    expect(image.checksum).toEqual({
      algorithm: "sha256",
      value: "c2bde1f49fcb2efa55c40c4ec5011a8f2fb227c63254774b2a4d186b41f3a9a5",
    });
    expect(image.checksumSource).toBe(`${server.origin}${SIDECAR_IMAGES}${SIDECAR_IMAGE}.SHA256SUM`);
    expect(server.requests).toEqual([
      `${SIDECAR_IMAGES}CHECKSUM`,
      SIDECAR_IMAGES,
      `${SIDECAR_IMAGES}${SIDECAR_IMAGE}.SHA256SUM`,
    ]);
  });

  test("refuses the newest listed image when its .SHA256SUM file is missing", async () => {
    server.override(`${NINE_AARCH64}CHECKSUM`, () => new Response("Not Found", { status: 404 }));
    const error = await failure("centos-stream:9", "aarch64");
    const sidecar = `${server.origin}${NINE_AARCH64}CentOS-Stream-GenericCloud-9-20240401.0.aarch64.qcow2.SHA256SUM`;
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", exitCode: 6 });
    expect(error.message).toBe(`Image index unavailable: "${sidecar}": HTTP 404`);
  });

  test("a listing with no GenericCloud qcow2 for the arch is no image for that arch", async () => {
    server.override(`${NINE_AARCH64}CHECKSUM`, () => new Response("Not Found", { status: 404 }));
    server.override(NINE_AARCH64, () => listingResponse(["CentOS-Stream-GenericCloud-9-20240401.0.x86_64.qcow2"]));
    const error = await failure("centos-stream:9", "aarch64");
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toBe(`No CentOS Stream 9 GenericCloud qcow2 image for aarch64 in "${server.origin}${NINE_AARCH64}"`);
  });
});
