/**
 * fetchImage with distro shortcuts, end to end against a local server that plays the
 * distro's mirror: the real resolvers read a CHECKSUM file or a stream JSON written in the
 * distro's format, then the image is downloaded, verified against the published digest
 * (sha256 or sha512, of the file as downloaded), decompressed and cached.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { createImage, requireTool, useTempDirs } from "../_helpers.ts";
import { expectError, expectNoImage, failure, images, partials } from "./_cache-helpers.ts";
import { sha256, sha512, useImageServer } from "./_image-server.ts";

const server = useImageServer();
const tempDir = useTempDirs();
const fixtures = useTempDirs("all");

let qcow2: Uint8Array<ArrayBuffer>;
let qcow2Xz: Uint8Array<ArrayBuffer>;

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  requireTool("xz", "xz-utils");
  const path = await createImage(join(await fixtures(), "tiny.qcow2"), { size: 8 << 20 });
  qcow2 = await Bun.file(path).bytes();
  qcow2Xz = new Uint8Array(Bun.spawnSync(["xz", "-c", path]).stdout);
});

const ALMA_DIR = "/alma/almalinux/9/cloud/x86_64/images/";
const ALMA_FILE = "AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2";

/** An AlmaLinux mirror: a GNU-style CHECKSUM (sha256 or sha512 by length) and the image. */
function alma(checksum: string, body: Uint8Array = qcow2): void {
  server.put(`${ALMA_DIR}CHECKSUM`, new TextEncoder().encode(`# AlmaLinux 9\n${checksum}  ${ALMA_FILE}\n`), { contentType: "text/plain" });
  server.put(`${ALMA_DIR}${ALMA_FILE}`, body);
}

/** A Fedora CoreOS stream JSON naming a qcow2.xz, with the sha256 of the .xz. */
function coreos(digest: string): void {
  const location = "https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/41.1/x86_64/fcos-41.1-qemu.x86_64.qcow2.xz";
  const disk = { location, sha256: digest, "uncompressed-sha256": sha256(qcow2) };
  const doc = { stream: "stable", architectures: { x86_64: { artifacts: { qemu: { release: "41.1", formats: { "qcow2.xz": { disk } } } } } } };
  server.put("/fcos/streams/stable.json", new TextEncoder().encode(JSON.stringify(doc)), { contentType: "application/json" });
  server.put("/fcos/prod/streams/stable/builds/41.1/x86_64/fcos-41.1-qemu.x86_64.qcow2.xz", qcow2Xz);
}

function options(dataDir: string, extra: Partial<FetchOptions> = {}): FetchOptions {
  const baseUrls = { "repo.almalinux.org": `${server.origin}/alma`, "builds.coreos.fedoraproject.org": `${server.origin}/fcos` };
  return { imageDir: images(dataDir), arch: "x86_64", baseUrls, retryDelayMs: 5, ...extra };
}


describe("a shortcut with a published sha256", () => {
  test("is resolved, downloaded, verified and cached", async () => {
    const dataDir = await tempDir();
    alma(sha256(qcow2));
    const image = await fetchImage("alma:9", options(dataDir));
    expect(image).toMatchObject({ source: server.url(`${ALMA_DIR}${ALMA_FILE}`), digest: sha256(qcow2), format: "qcow2", cached: false });
    expect(listImages(images(dataDir))).toMatchObject([{ digest: sha256(qcow2), references: [{ reference: "alma:9", arch: "x86_64" }] }]);
  });

  test("is not downloaded again, nor even revalidated, while the published digest is the same", async () => {
    const dataDir = await tempDir();
    alma(sha256(qcow2));
    await fetchImage("alma:9", options(dataDir));
    const again = await fetchImage("alma:9", options(dataDir));
    expect(again.cached).toBe(true);
    expect(server.log.filter((r) => r.path.endsWith(ALMA_FILE))).toHaveLength(1);
  });

  test("whose digest does not match is E_CHECKSUM_MISMATCH and caches nothing", async () => {
    const dataDir = await tempDir();
    alma("f".repeat(64));
    const error = await failure(fetchImage("alma:9", options(dataDir)));
    expectError(error, "E_CHECKSUM_MISMATCH", 6, `"${server.url(`${ALMA_DIR}${ALMA_FILE}`)}": expected sha256 ${"f".repeat(64)}`);
    await expectNoImage(dataDir);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("accepts a --sha256 of the image as well", async () => {
    const dataDir = await tempDir();
    alma(sha256(qcow2));
    expect((await fetchImage("alma:9", options(dataDir, { sha256: sha256(qcow2) }))).digest).toBe(sha256(qcow2));
  });
});

describe("a shortcut with a published sha512", () => {
  test("is verified with sha512 and still stored under its sha256", async () => {
    const dataDir = await tempDir();
    alma(sha512(qcow2));
    const image = await fetchImage("alma:9", options(dataDir));
    expect(image.digest).toBe(sha256(qcow2));
  });

  test("whose sha512 does not match is E_CHECKSUM_MISMATCH", async () => {
    const dataDir = await tempDir();
    alma("e".repeat(128));
    const error = await failure(fetchImage("alma:9", options(dataDir)));
    expectError(error, "E_CHECKSUM_MISMATCH", 6, "expected sha512");
    await expectNoImage(dataDir);
  });
});

describe("a compressed image (Fedora CoreOS ships .qcow2.xz)", () => {
  test("is verified as downloaded, then stored decompressed under the image's sha256", async () => {
    const dataDir = await tempDir();
    coreos(sha256(qcow2Xz));
    const image = await fetchImage("fedora-coreos", options(dataDir));
    expect(image.digest).toBe(sha256(qcow2));
    expect(image.format).toBe("qcow2");
    expect(await Bun.file(image.path).bytes()).toEqual(qcow2);
    expect(await partials(dataDir)).toEqual([]);
  });

  test("a digest of the uncompressed file where the .xz's belongs is a mismatch", async () => {
    const dataDir = await tempDir();
    coreos(sha256(qcow2));
    const error = await failure(fetchImage("fedora-coreos", options(dataDir)));
    expectError(error, "E_CHECKSUM_MISMATCH", 6, "fcos-41.1-qemu.x86_64.qcow2.xz");
    await expectNoImage(dataDir);
  });

  test("a .gz from a plain URL is decompressed too", async () => {
    const dataDir = await tempDir();
    server.put("/tiny.qcow2.gz", Bun.gzipSync(qcow2));
    const image = await fetchImage(server.url("/tiny.qcow2.gz"), options(dataDir));
    expect(image.digest).toBe(sha256(qcow2));
  });
});

describe("a shortcut --offline", () => {
  test("uses the last resolution that was fetched, without any request", async () => {
    const dataDir = await tempDir();
    alma(sha256(qcow2));
    const online = await fetchImage("alma:9", options(dataDir));
    server.log.length = 0;
    const offline = await fetchImage("alma:9", options(dataDir, { offline: true }));
    expect(offline).toEqual({ ...online, cached: true });
    expect(server.log).toEqual([]);
  });

  test("that was never fetched is E_NOT_CACHED (exit 4) with the pull command as hint", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("alma:9", options(dataDir, { offline: true })));
    expectError(error, "E_NOT_CACHED", 4, "alma:9 (x86_64)");
    expect(error.hint).toStartWith("testcloud image pull --no-offline alma:9");
    expect(server.log).toEqual([]);
  });

  test("for another architecture than the one fetched is not cached", async () => {
    const dataDir = await tempDir();
    alma(sha256(qcow2));
    await fetchImage("alma:9", options(dataDir));
    const error = await failure(fetchImage("alma:9", options(dataDir, { offline: true, arch: "aarch64" })));
    expectError(error, "E_NOT_CACHED", 4, "alma:9 (aarch64)");
    expect(error.hint).toBe("testcloud image pull --no-offline alma:9 --arch aarch64");
  });

  test("still reports an unknown shortcut as such", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("nosuchdistro:1", options(dataDir, { offline: true })));
    expectError(error, "E_UNKNOWN_IMAGE", 2, "nosuchdistro:1");
  });

  test("still reports an unknown version as such", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("fedora-coreos:bogus", options(dataDir, { offline: true })));
    expectError(error, "E_UNKNOWN_VERSION", 4, '"bogus"');
  });
});

describe("bad shortcuts and indexes", () => {
  test("an unknown shortcut is E_UNKNOWN_IMAGE (exit 2) before any request", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("nosuchdistro:1", options(dataDir)));
    expectError(error, "E_UNKNOWN_IMAGE", 2, '"nosuchdistro:1"');
    expect(server.log).toEqual([]);
    await expectNoImage(dataDir);
  });

  test("an unknown version is E_UNKNOWN_VERSION (exit 4)", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("alma:nine", options(dataDir)));
    expectError(error, "E_UNKNOWN_VERSION", 4, '"nine"');
    await expectNoImage(dataDir);
  });

  test("a version the mirror does not have is E_UNKNOWN_VERSION (exit 4)", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("alma:8", options(dataDir)));
    expectError(error, "E_UNKNOWN_VERSION", 4, "AlmaLinux 8");
    await expectNoImage(dataDir);
  });

  test("a malformed CHECKSUM file is E_INDEX_MALFORMED (exit 6) naming it", async () => {
    const dataDir = await tempDir();
    server.put(`${ALMA_DIR}CHECKSUM`, new TextEncoder().encode("<html>mirror error</html>\n"));
    const error = await failure(fetchImage("alma:9", options(dataDir)));
    expectError(error, "E_INDEX_MALFORMED", 6, server.url(`${ALMA_DIR}CHECKSUM`));
    await expectNoImage(dataDir);
  });

  test("a malformed stream JSON is E_INDEX_MALFORMED (exit 6)", async () => {
    const dataDir = await tempDir();
    server.put("/fcos/streams/stable.json", new TextEncoder().encode('{"stream": "stable", "architectures": '));
    const error = await failure(fetchImage("fedora-coreos:stable", options(dataDir)));
    expectError(error, "E_INDEX_MALFORMED", 6, server.url("/fcos/streams/stable.json"));
    await expectNoImage(dataDir);
  });

  test("an index that is gone is E_INDEX_UNAVAILABLE (exit 6)", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("fedora-coreos:stable", options(dataDir)));
    expectError(error, "E_INDEX_UNAVAILABLE", 6, "HTTP 404");
    await expectNoImage(dataDir);
  });
});

describe("fetchImage with a distro shortcut", () => {
  test("an unknown distro is a UsageError with code E_UNKNOWN_IMAGE", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage("testcloud-no-such-distro:1", { imageDir: images(dataDir), retryDelayMs: 5 }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe("E_UNKNOWN_IMAGE");
  });
});
