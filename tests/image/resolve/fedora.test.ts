/**
 * Fedora's edge cases: the releases.json snapshots in fedora/_variants, the CHECKSUM
 * fallback when releases.json has no sha256, and rawhide/branched through Bodhi and
 * openQA's nightlies.json.
 */
import { describe, expect, test } from "bun:test";
import { TestcloudError } from "../../../lib/errors.ts";
import { resolveShortcut, type Arch, type ResolvedImage } from "../../../lib/image/resolve/resolve-shortcut.ts";
import { BODHI_RELEASES, bodhiPages, fixtureText, served, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();

const RELEASES = "/fedora/fedoraproject.org/releases.json";
const NIGHTLIES = "/fedora/openqa.fedoraproject.org/nightlies.json";
const F = "https://download.fedoraproject.org/pub/fedora/linux/releases";
const KOJI = "https://kojipkgs.fedoraproject.org/compose";
const SEPT_2024 = ["2024-09-page-1-of-2.json", "2024-09-page-2-of-2.json"];

function resolve(version: string | undefined, arch: Arch = "x86_64", variant?: string): Promise<ResolvedImage> {
  const baseUrls = { ...server.baseUrls };
  if (variant) baseUrls["fedoraproject.org"] = `${server.origin}/fedora/_variants/${variant}/fedoraproject.org`;
  return resolveShortcut("fedora", version, { arch, baseUrls });
}

async function failure(version: string, arch: Arch = "x86_64", variant?: string): Promise<TestcloudError> {
  const error = await resolve(version, arch, variant).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TestcloudError);
  return error as TestcloudError;
}

/** Serves the main releases.json snapshot rewritten by `edit`. */
function serveReleases(edit: (entries: Record<string, unknown>[]) => Record<string, unknown>[]) {
  server.override(RELEASES, async () => Response.json(edit(JSON.parse(await fixtureText(RELEASES.slice(1))))));
}

describe("fedora from releases.json snapshots", () => {
  test("before 42 is released, fedora:42 is its Beta, marked as a pre-release", async () => {
    const image = await resolve("42", "x86_64", "2025-04-14-42-beta");
    expect(image.version).toBe("42_Beta");
    expect(image.url).toBe(served(server, `${F}/test/42_Beta/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-42_Beta-1.4.x86_64.qcow2`));
    expect(image.checksum).toEqual({ algorithm: "sha256", value: "68ffe085a37fa4850be89e9ca0a8cddbb883ef5f5fdb18f08952f3792a890fbc" });
    expect(image.notes[0]).toBe('"42 Beta" is a pre-release: Fedora 42 is not released yet');
  });

  test("before 42 is released, bare fedora is 41, not the Beta", async () => {
    const image = await resolve(undefined, "x86_64", "2025-04-14-42-beta");
    expect(image.version).toBe("41");
    expect(image.checksum?.value).toBe("6205ae0c524b4d1816dbd3573ce29b5c44ed26c9fbc874fbe48c41c89dd0bac2");
  });

  test("the 42 Beta has no ppc64le image and the error lists the arches it has", async () => {
    const error = await failure("42", "ppc64le", "2025-04-14-42-beta");
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toContain("it lists aarch64, s390x, x86_64");
  });

  test("never takes a Server_KVM or UKI qcow2 for a cloud image", async () => {
    const image = await resolve("42", "aarch64");
    expect(image.url).toEndWith("/Fedora-Cloud-Base-Generic-42-1.1.aarch64.qcow2");
    expect(image.checksum?.value).toBe("e10658419a8d50231037dc781c3155aa94180a8c7a74e5cac2a6b09eaa9342b7");
  });
});

describe("fedora when releases.json lists no sha256", () => {
  test("the 41 Beta of September 2024 is refused when its CHECKSUM file cannot be fetched", async () => {
    const error = await failure("41", "x86_64", "2024-09-18-41-beta-no-sha256");
    const checksum = served(server, `${F}/test/41_Beta/Cloud/x86_64/images/Fedora-Cloud-41_Beta-1.2-x86_64-CHECKSUM`);
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", exitCode: 6 });
    expect(error.message).toBe(`Image index unavailable: "${checksum}": HTTP 404`);
  });

  test("an entry of the same snapshot that has a sha256 resolves from it", async () => {
    const image = await resolve("40", "aarch64", "2024-09-18-41-beta-no-sha256");
    expect(image.checksum?.value).toBe("ebdce26d861a9d15072affe1919ed753ec7015bd97b3a7d0d0df6a10834f7459");
  });

  test("takes the digest from the release's CHECKSUM file", async () => {
    serveReleases((entries) => entries.map(({ sha256: _, ...entry }) => entry));
    const image = await resolve("41");
    const checksum = `${F}/41/Cloud/x86_64/images/Fedora-Cloud-41-1.4-x86_64-CHECKSUM`;
    expect(image.checksum).toEqual({ algorithm: "sha256", value: "6205ae0c524b4d1816dbd3573ce29b5c44ed26c9fbc874fbe48c41c89dd0bac2" });
    expect(image.checksumSource).toBe(served(server, checksum));
    expect(image.notes).toContain(
      "releases.json lists no sha256 for this image: the digest is from the CHECKSUM file, whose PGP signature was not verified",
    );
  });

  test("reads the signed part of a real clearsigned CHECKSUM file (F44 aarch64)", async () => {
    // An entry shaped like the 41 Beta ones (no sha256), for the image the F44 CHECKSUM lists.
    serveReleases(() => [
      {
        version: "44",
        arch: "aarch64",
        link: `${F}/44/Cloud/aarch64/images/Fedora-Cloud-Base-Generic-44-1.7.aarch64.qcow2`,
        variant: "Cloud",
        subvariant: "Cloud_Base",
      },
    ]);
    const image = await resolve("44", "aarch64");
    expect(image.checksum?.value).toBe("55c60a3b80d3616a08705afd0459e75fe9f03c54aba7a46e4002a41a72fa0d5b");
    expect(image.checksumSource).toBe(served(server, `${F}/44/Cloud/aarch64/images/Fedora-Cloud-44-1.7-aarch64-CHECKSUM`));
  });

  test("a CHECKSUM file without a line for the image is a malformed index", async () => {
    serveReleases((entries) => entries.map(({ sha256: _, ...entry }) => entry));
    server.override("/fedora/download.fedoraproject.org/pub/fedora/linux/releases/41/Cloud/x86_64/images/Fedora-Cloud-41-1.4-x86_64-CHECKSUM", () =>
      new Response("SHA256 (other.qcow2) = " + "0".repeat(64) + "\n"),
    );
    const error = await failure("41");
    expect(error).toMatchObject({ code: "E_INDEX_MALFORMED", exitCode: 6 });
    expect(error.message).toContain('no SHA256 line for "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2"');
  });
});

describe("fedora rawhide and branched", () => {
  test("fedora:rawhide is the newest rawhide nightly, with no published digest", async () => {
    const image = await resolve("rawhide");
    expect(image).toMatchObject({
      version: "rawhide-20240320.n.0",
      url: `${KOJI}/rawhide/Fedora-Rawhide-20240320.n.0/compose/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-Rawhide-20240320.n.0.qcow2`,
      checksum: null,
      checksumSource: null,
    });
    expect(image.notes[0]).toContain("publishes no digest");
    expect(server.requests).toEqual(["/fedora/openqa.fedoraproject.org/nightlies.json"]);
  });

  test("fedora:rawhide for aarch64 is the aarch64 nightly", async () => {
    const image = await resolve("rawhide", "aarch64");
    expect(image.url).toBe(
      `${KOJI}/rawhide/Fedora-Rawhide-20240320.n.0/compose/Cloud/aarch64/images/Fedora-Cloud-Base-Generic.aarch64-Rawhide-20240320.n.0.qcow2`,
    );
  });

  test("fedora:branched is the newest nightly of the release Bodhi calls branched", async () => {
    // Bodhi as in March 2024, when the nightlies snapshot was taken: F40 frozen, F41 rawhide.
    server.override(BODHI_RELEASES, () =>
      Response.json({
        releases: [
          { name: "F40", version: "40", id_prefix: "FEDORA", branch: "f40", state: "frozen" },
          { name: "F41", version: "41", id_prefix: "FEDORA", branch: "rawhide", state: "pending" },
        ],
        page: 1,
        pages: 1,
      }),
    );
    const image = await resolve("branched");
    expect(image.version).toBe("40-20240320.n.0");
    expect(image.url).toBe(
      `${KOJI}/branched/Fedora-40-20240320.n.0/compose/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-40-20240320.n.0.qcow2`,
    );
  });

  test("fedora:branched never takes a candidate compose, whose URL is not under branched/", async () => {
    server.override(BODHI_RELEASES, () =>
      Response.json({ releases: [{ version: "40", id_prefix: "FEDORA", branch: "f40", state: "frozen" }], page: 1, pages: 1 }),
    );
    server.override(NIGHTLIES, async () => {
      const entries = JSON.parse(await fixtureText(NIGHTLIES.slice(1))) as { url: string }[];
      return Response.json(entries.filter((e) => !e.url.includes("/compose/branched/")));
    });
    const error = await failure("branched");
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toContain("No Fedora 40 branched nightly image for x86_64");
  });

  test("fedora:branched reads every Bodhi page and refuses a nightly of another release", async () => {
    // September 2024: F41 is branched (on page 2); the nightlies snapshot only has F40's.
    server.override(BODHI_RELEASES, bodhiPages(SEPT_2024));
    const error = await failure("branched");
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toContain("No Fedora 41 branched nightly image for x86_64");
    expect(server.requests.filter((r) => r.startsWith(BODHI_RELEASES)).map((r) => r.slice(-6))).toEqual(["page=1", "page=2"]);
  });

  test("fedora:branched with no branched release in Bodhi points to rawhide", async () => {
    server.override(BODHI_RELEASES, () =>
      Response.json({
        releases: [
          { version: "42", id_prefix: "FEDORA", branch: "f42", state: "current" },
          { version: "43", id_prefix: "FEDORA", branch: "rawhide", state: "pending" },
          { version: "43", id_prefix: "FEDORA-CONTAINER", branch: "f43", state: "pending" },
        ],
        page: 1,
        pages: 1,
      }),
    );
    const error = await failure("branched");
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toBe("No branched Fedora release at present: Fedora 43 is rawhide");
    expect(error.hint).toBe("testcloud image resolve fedora:rawhide");
  });

  test("a number Bodhi calls rawhide resolves to the rawhide nightly", async () => {
    server.override(BODHI_RELEASES, bodhiPages(SEPT_2024));
    const image = await resolve("42", "x86_64", "2024-09-18-41-beta-no-sha256");
    expect(image.version).toBe("rawhide-20240320.n.0");
    expect(image.notes[0]).toBe("Fedora 42 is rawhide at present (per Bodhi)");
  });

  test("a malformed Bodhi answer is a malformed index", async () => {
    server.override(BODHI_RELEASES, () => Response.json({ rows: [] }));
    const error = await failure("branched");
    expect(error).toMatchObject({ code: "E_INDEX_MALFORMED", exitCode: 6 });
  });

  test("a nightlies.json that is not an array is a malformed index", async () => {
    server.override(NIGHTLIES, () => Response.json({ images: [] }));
    const error = await failure("rawhide");
    expect(error).toMatchObject({ code: "E_INDEX_MALFORMED", exitCode: 6 });
    expect(error.message).toContain("nightlies.json");
  });
});
