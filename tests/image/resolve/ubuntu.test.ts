/** Ubuntu: the simplestreams catalogue maps numbers to codenames; SHA256SUMS gives the image. */
import { describe, expect, test } from "bun:test";
import { resolverFor, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve, failure } = resolverFor(server);

const RELEASE = "/ubuntu/cloud-images.ubuntu.com/releases/noble/release/";
const CATALOGUE = "/ubuntu/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.json";

describe("ubuntu", () => {
  test("a codename goes straight to its release directory", async () => {
    await resolve("ubuntu:noble");
    expect(server.requests).toEqual([`${RELEASE}SHA256SUMS`]);
  });

  test("a number is mapped to its codename by the catalogue", async () => {
    await resolve("ubuntu:24.04");
    expect(server.requests).toEqual([CATALOGUE, `${RELEASE}SHA256SUMS`]);
  });

  test("a SHA256SUMS that lists another release than the catalogue maps to is a malformed index", async () => {
    server.override(`${RELEASE}SHA256SUMS`, () =>
      new Response(`${"a".repeat(64)} *ubuntu-23.10-server-cloudimg-amd64.img\n`),
    );
    const error = await failure("ubuntu:24.04");
    expect(error).toMatchObject({ code: "E_INDEX_MALFORMED", exitCode: 6 });
    expect(error.message).toContain("it lists Ubuntu 23.10 images, expected 24.04");
  });
});
