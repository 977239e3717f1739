/**
 * resolveShortcut against a real local HTTP server serving the captured distro indexes
 * (tests/fixtures/distro-indexes). Expected URLs and digests are copied from those files.
 */
import { describe, expect, test } from "bun:test";
import { ImageError, InterruptedError, NotFoundError, UsageError } from "../../../lib/errors.ts";
import type { Arch } from "../../../lib/image/resolve/resolve-shortcut.ts";
import { fixtureText, resolverFor, served, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve, failure } = resolverFor(server);

interface Expected {
  distro: string;
  version: string;
  /** The upstream URL as the index names it; the server serves it below its base URL. */
  url: string;
  digest: string;
  source: string;
  compression?: "xz";
}

const FEDORA_RELEASES = "https://fedoraproject.org/releases.json";
const F = "https://download.fedoraproject.org/pub/fedora/linux/releases";
const F2 = "https://download.fedoraproject.org/pub/fedora-secondary/releases";
const FCOS = "https://builds.coreos.fedoraproject.org";
const CENTOS = "https://cloud.centos.org/centos";
const DEBIAN = "https://cloud.debian.org/images/cloud";
const UBUNTU = "https://cloud-images.ubuntu.com/releases/noble/release";
const ALMA = "https://repo.almalinux.org/almalinux/9/cloud";
const ROCKY = "https://dl.rockylinux.org/pub/rocky/9/images/x86_64";

const fedora42 = {
  distro: "fedora",
  version: "42",
  url: `${F}/42/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2`,
  digest: "e401a4db2e5e04d1967b6729774faa96da629bcf3ba90b67d8d9cce9906bec0f",
  source: FEDORA_RELEASES,
};
const fcosX86 = {
  distro: "fedora-coreos",
  version: "39.20231101.3.0",
  url: `${FCOS}/prod/streams/stable/builds/39.20231101.3.0/x86_64/fedora-coreos-39.20231101.3.0-qemu.x86_64.qcow2.xz`,
  digest: "f3b209efb6ea9fe9b8bbfe1c1d4cafc0046ae7aa62bf6b63189494ee90155b81",
  source: `${FCOS}/streams/stable.json`,
  compression: "xz" as const,
};
const centos10 = {
  distro: "centos-stream",
  version: "10",
  url: `${CENTOS}/10-stream/x86_64/images/CentOS-Stream-GenericCloud-10-20241118.0.x86_64.qcow2`,
  digest: "3cb1310f39d92d34d0ea62c1d6f8943f47dce9df6937adb5bd26af8efa5d921d",
  source: `${CENTOS}/10-stream/x86_64/images/CHECKSUM`,
};
const debian12 = {
  distro: "debian",
  version: "12",
  url: `${DEBIAN}/bookworm/20250210-2019/debian-12-genericcloud-amd64-20250210-2019.qcow2`,
  // As in SHA512SUMS; the resolver reads the JSON manifest's base64 form of the same digest.
  digest:
    "a58d86525d75fd8e139a2302531ce5d2ab75ef0273cfe78f9d53aada4b23efd45f8433b4806fa4570cfe981c8fae26f5e5e855cbd66ba2198862f28125fd2d45",
  source: `${DEBIAN}/bookworm/latest/debian-12-genericcloud-amd64.json`,
};
const ubuntuAmd64 = {
  distro: "ubuntu",
  version: "24.04",
  url: `${UBUNTU}/ubuntu-24.04-server-cloudimg-amd64.img`,
  digest: "d1940f7d69d343355e183dff1e08a59852d32e7309baa7a4bad8365b11b005ac",
  source: `${UBUNTU}/SHA256SUMS`,
};
const alma9 = {
  distro: "alma",
  version: "9",
  url: `${ALMA}/x86_64/images/AlmaLinux-9-GenericCloud-9.8-20260526.x86_64.qcow2`,
  digest: "c397eed7023e92c841155831b1f47e26300e5bef0f0256c129322307c897a251",
  source: `${ALMA}/x86_64/images/CHECKSUM`,
};
const rocky9 = {
  distro: "rocky",
  version: "9",
  url: `${ROCKY}/Rocky-9-GenericCloud-Base-9.8-20260525.0.x86_64.qcow2`,
  digest: "92c206cc6f790c61583247eefe87890f8828420662c17cacf247cec78ab4eec8",
  source: `${ROCKY}/CHECKSUM`,
};

const forms: [string, Arch, Expected][] = [
  ["fedora", "x86_64", fedora42],
  ["fedora:latest", "x86_64", fedora42],
  ["fedora:41", "x86_64", { ...fedora42, version: "41", url: `${F}/41/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2`, digest: "6205ae0c524b4d1816dbd3573ce29b5c44ed26c9fbc874fbe48c41c89dd0bac2" }],
  ["fedora:41", "aarch64", { ...fedora42, version: "41", url: `${F}/41/Cloud/aarch64/images/Fedora-Cloud-Base-Generic-41-1.4.aarch64.qcow2`, digest: "085883b42c7e3b980e366a1fe006cd0ff15877f7e6e984426f3c6c67c7cc2faa" }],
  ["fedora:42", "ppc64le", { ...fedora42, url: `${F2}/42/Cloud/ppc64le/images/Fedora-Cloud-Base-Generic-42-1.1.ppc64le.qcow2`, digest: "2fc51f16ffccda5dceaafe133f7d6c7139aeab43ae2a1622b4f5bee14d23a096" }],
  ["fedora:42", "s390x", { ...fedora42, url: `${F2}/42/Cloud/s390x/images/Fedora-Cloud-Base-Generic-42-1.1.s390x.qcow2`, digest: "c50d35811c1c007199c2674a106449fd6efeff2da140aad9e05ab3268504f248" }],
  ["fedora:40", "x86_64", { ...fedora42, version: "40", url: `${F}/40/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2`, digest: "ac58f3c35b73272d5986fa6d3bc44fd246b45df4c334e99a07b3bbd00684adee" }],
  ["fedora-coreos", "x86_64", fcosX86],
  ["fedora-coreos:stable", "x86_64", fcosX86],
  ["fedora-coreos:latest", "x86_64", fcosX86],
  ["fedora-coreos:stable", "aarch64", { ...fcosX86, url: `${FCOS}/prod/streams/stable/builds/39.20231101.3.0/aarch64/fedora-coreos-39.20231101.3.0-qemu.aarch64.qcow2.xz`, digest: "09fa17bdab3908a5d0d368ba21723b064da9e8060b33cd1535f35bbc38b62217" }],
  ["fedora-coreos:stable", "s390x", { ...fcosX86, url: `${FCOS}/prod/streams/stable/builds/39.20231101.3.0/s390x/fedora-coreos-39.20231101.3.0-qemu.s390x.qcow2.xz`, digest: "f15c477d1d7999879646e5738db3886b90a8f05eb5c28e83992c02cdfe297aaa" }],
  ["centos-stream", "x86_64", centos10],
  ["centos-stream:latest", "x86_64", centos10],
  ["centos-stream:10", "x86_64", centos10],
  ["centos-stream:9", "x86_64", { ...centos10, version: "9", url: `${CENTOS}/9-stream/x86_64/images/CentOS-Stream-GenericCloud-9-20211222.0.x86_64.qcow2`, digest: "bcebdc00511d6e18782732570056cfbc7cba318302748bfc8f66be9c0db68142", source: `${CENTOS}/9-stream/x86_64/images/CHECKSUM` }],
  ["centos-stream:9", "aarch64", { ...centos10, version: "9", url: `${CENTOS}/9-stream/aarch64/images/CentOS-Stream-GenericCloud-9-20240401.0.aarch64.qcow2`, digest: "66dd927b7aa643b18ad21a9368571c6ef57cc381b4febc8934397b137f14b995", source: `${CENTOS}/9-stream/aarch64/images/CHECKSUM` }],
  ["debian:12", "x86_64", debian12],
  ["debian:bookworm", "x86_64", debian12],
  ["debian:bookworm", "aarch64", { ...debian12, url: `${DEBIAN}/bookworm/20250210-2019/debian-12-genericcloud-arm64-20250210-2019.qcow2`, digest: "a17a462acbc3412ef195390fb60dffba2134fef1a276d500ca50a06036c488035657409fcd02f2f70d1e7a91776ca4249cfbceabeb90e74cb123b9971381c72a", source: `${DEBIAN}/bookworm/latest/debian-12-genericcloud-arm64.json` }],
  ["ubuntu", "x86_64", ubuntuAmd64],
  ["ubuntu:latest", "x86_64", ubuntuAmd64],
  ["ubuntu:lts", "x86_64", ubuntuAmd64],
  ["ubuntu:24.04", "x86_64", ubuntuAmd64],
  ["ubuntu:noble", "x86_64", ubuntuAmd64],
  ["ubuntu:Noble", "x86_64", ubuntuAmd64],
  ["ubuntu:noble", "aarch64", { ...ubuntuAmd64, url: `${UBUNTU}/ubuntu-24.04-server-cloudimg-arm64.img`, digest: "2eaec7286c49fdea713dddabcf5012cafa7097a658e916acb48f4bc5fdc8e419" }],
  ["ubuntu:24.04", "ppc64le", { ...ubuntuAmd64, url: `${UBUNTU}/ubuntu-24.04-server-cloudimg-ppc64el.img`, digest: "243f2918eb80bc8f21495820a4ddc5e1990b05edf6efb2f2f8e7cd92fb2402df" }],
  ["ubuntu:24.04", "s390x", { ...ubuntuAmd64, url: `${UBUNTU}/ubuntu-24.04-server-cloudimg-s390x.img`, digest: "ef4e9b899bdbedbff51878ee8eeb4ce70cf21d2037e110bb4539ba458137ec82" }],
  ["alma:9", "x86_64", alma9],
  ["almalinux:9", "x86_64", alma9],
  ["alma:9", "aarch64", { ...alma9, url: `${ALMA}/aarch64/images/AlmaLinux-9-GenericCloud-9.8-20260526.aarch64.qcow2`, digest: "b5d883c5f84c68a9828fbd3aac863f9a723b43f8965a32ff7a1c198301f42a29", source: `${ALMA}/aarch64/images/CHECKSUM` }],
  ["rocky:9", "x86_64", rocky9],
];

describe("resolveShortcut resolves every shortcut form from the distro's index", () => {
  test.each(forms)("%s for %s", async (ref, arch, expected) => {
    const image = await resolve(ref, arch);
    expect({ ...image, notes: [] }).toEqual({
      reference: ref,
      distro: expected.distro,
      version: expected.version,
      arch,
      url: served(server, expected.url),
      checksum: { algorithm: expected.digest.length === 64 ? "sha256" : "sha512", value: expected.digest },
      checksumSource: served(server, expected.source),
      compression: expected.compression ?? null,
      format: "qcow2",
      notes: [],
      insecure: false,
    });
    expect(image.notes.length).toBeGreaterThan(0);
  });
});

describe("resolveShortcut with bare shortcuts takes the newest version the mirror has", () => {
  // The fixtures hold no index for Debian 13, AlmaLinux 10, Rocky 10 or CentOS Stream 10 on aarch64.
  const cases: [string, Arch, string, string][] = [
    ["debian", "x86_64", "12", "Debian 13"],
    ["debian:latest", "aarch64", "12", "Debian 13"],
    ["alma", "x86_64", "9", "AlmaLinux 10"],
    ["rocky", "x86_64", "9", "Rocky Linux 10"],
    ["centos-stream", "aarch64", "9", "CentOS Stream 10"],
  ];

  test.each(cases)("%s for %s resolves to %s and notes the skipped %s", async (ref, arch, version, skipped) => {
    const image = await resolve(ref, arch);
    expect(image.version).toBe(version);
    expect(image.notes[0]).toBe(`No image index found for ${skipped}: using ${version}`);
  });
});

describe("resolveShortcut keeps URLs of hosts without a configured base as the index gives them", () => {
  test("fedora:41 points at download.fedoraproject.org when only releases.json is local", async () => {
    const image = await resolve("fedora:41", "x86_64", {
      baseUrls: { "fedoraproject.org": server.baseUrls["fedoraproject.org"] },
    });
    expect(image.url).toBe(`${F}/41/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2`);
  });

  test("fedora:rawhide keeps the kojipkgs URL of openQA's nightlies.json", async () => {
    const image = await resolve("fedora:rawhide");
    expect(image.url).toBe(
      "https://kojipkgs.fedoraproject.org/compose/rawhide/Fedora-Rawhide-20240320.n.0/compose/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-Rawhide-20240320.n.0.qcow2",
    );
  });
});

describe("resolveShortcut refuses what it cannot resolve", () => {
  test("an unknown shortcut is a usage error listing the known shortcuts", async () => {
    const error = await failure("nosuch:1");
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: "E_UNKNOWN_IMAGE", exitCode: 2 });
    expect(error.message).toBe('Unknown image shortcut: "nosuch:1"');
    for (const name of ["fedora", "fedora-coreos", "centos-stream", "debian", "ubuntu", "alma", "rocky"]) {
      expect(error.hint).toContain(`${name}[`);
    }
    expect(server.requests).toEqual([]);
  });

  test("a name that is only an object property is not a shortcut", async () => {
    expect(await failure("constructor")).toMatchObject({ code: "E_UNKNOWN_IMAGE" });
  });

  const versions: [string, string[]][] = [
    ["fedora:12", ["40, 41, 42, rawhide, branched"]],
    ["fedora:44", ["40, 41, 42"]],
    ["fedora:foo", ['"foo"']],
    ["fedora-coreos:beta", ["stable, testing, next"]],
    ["debian:7", ["13 (trixie), 12 (bookworm), 11 (bullseye)"]],
    ["debian:sid", ['"sid"']],
    ["ubuntu:99.04", ["24.04 (noble), 23.10 (mantic)"]],
    ["ubuntu:warty", ['"warty"', "24.04 (noble)"]],
    ["ubuntu:20.10", ["20.10 (groovy) is no longer supported"]],
    ["centos-stream:stream", ['"stream"']],
    ["alma:nine", ['"nine"']],
    ["rocky:9.8", ['"9.8"']],
  ];

  test.each(versions)("%s is an unknown version naming what the index has", async (ref, parts) => {
    const error = await failure(ref);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    for (const part of parts) expect(`${error.message} ${error.hint ?? ""}`).toContain(part);
  });

  const missing: [string, string][] = [
    ["centos-stream:8", "/centos/8-stream/x86_64/images/"],
    ["alma:8", "/almalinux/8/cloud/x86_64/images/CHECKSUM"],
    ["rocky:8", "/pub/rocky/8/images/x86_64/CHECKSUM"],
  ];

  test.each(missing)("%s, which the mirror does not have, is an unknown version naming where it looked", async (ref, path) => {
    const error = await failure(ref);
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toContain(path);
    expect(error.message).toContain("x86_64");
  });

  const arches: [string, Arch, string][] = [
    ["fedora:40", "ppc64le", "it lists aarch64, x86_64"],
    ["fedora:rawhide", "s390x", "it lists x86_64, aarch64"],
    ["debian:12", "s390x", "Debian 12"],
    ["debian:12", "ppc64le", "debian-12-genericcloud-ppc64el.json"],
    ["centos-stream:10", "aarch64", "/10-stream/aarch64/images/"],
    ["alma:9", "s390x", "/almalinux/9/cloud/s390x/images/CHECKSUM"],
    ["rocky:9", "aarch64", "/pub/rocky/9/images/aarch64/CHECKSUM"],
  ];

  test.each(arches)("%s for %s has no image and the error names the arch", async (ref, arch, detail) => {
    const error = await failure(ref, arch);
    expect(error).toMatchObject({ code: "E_UNKNOWN_VERSION", exitCode: 4 });
    expect(error.message).toContain(` ${arch} `);
    expect(error.message).toContain(detail);
  });

  test("an unknown architecture is a usage error", async () => {
    const error = await failure("fedora:41", "mips" as Arch);
    expect(error).toMatchObject({ code: "E_USAGE", exitCode: 2 });
    expect(error.message).toBe('Unknown architecture: "mips": expected one of x86_64, aarch64, ppc64le, s390x');
  });

  test("arm64 is accepted as another name for aarch64", async () => {
    expect((await resolve("fedora:41", "arm64" as Arch)).arch).toBe("aarch64");
  });
});

describe("resolveShortcut reports a broken index with the documented codes", () => {
  const releases = "/fedora/fedoraproject.org/releases.json";
  const stable = "/fedora-coreos/builds.coreos.fedoraproject.org/streams/stable.json";
  const html = () => new Response("<!DOCTYPE html><html><body>Mirror maintenance</body></html>", { headers: { "content-type": "text/html" } });
  const truncated = (path: string) => async () => {
    const text = await fixtureText(path.slice(1));
    return new Response(text.slice(0, Math.floor(text.length / 2)), { headers: { "content-type": "application/json" } });
  };
  type Fault = [string, string, string, () => Response | Promise<Response>, string, string];
  const faults: Fault[] = [
    ["releases.json answers 404", "fedora:41", releases, () => new Response("Not Found", { status: 404 }), "E_INDEX_UNAVAILABLE", "HTTP 404"],
    ["releases.json answers 500", "fedora:41", releases, () => new Response("oops", { status: 500 }), "E_INDEX_UNAVAILABLE", "HTTP 500"],
    ["releases.json is cut in half", "fedora:41", releases, truncated(releases), "E_INDEX_MALFORMED", "not valid JSON"],
    ["releases.json is an HTML page", "fedora", releases, html, "E_INDEX_MALFORMED", "not valid JSON"],
    ["releases.json is an object", "fedora:41", releases, () => Response.json({ releases: [] }), "E_INDEX_MALFORMED", "expected a JSON array"],
    ["a sha256 in releases.json is not hex", "fedora:41", releases, async () => Response.json(JSON.parse((await fixtureText(releases.slice(1))).replaceAll("6205ae0c", "zzzzzzzz"))), "E_INDEX_MALFORMED", "not a sha256 hex digest"],
    ["the CoreOS stream is cut in half", "fedora-coreos", stable, truncated(stable), "E_INDEX_MALFORMED", "not valid JSON"],
    ["the CentOS CHECKSUM is an HTML page", "centos-stream:9", "/centos-stream/cloud.centos.org/centos/9-stream/x86_64/images/CHECKSUM", html, "E_INDEX_MALFORMED", "no checksum lines"],
    ["the Debian manifest is cut in half", "debian:12", "/debian/cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.json", truncated("/debian/cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.json"), "E_INDEX_MALFORMED", "not valid JSON"],
    ["Ubuntu's SHA256SUMS answers 500", "ubuntu:noble", "/ubuntu/cloud-images.ubuntu.com/releases/noble/release/SHA256SUMS", () => new Response("", { status: 500 }), "E_INDEX_UNAVAILABLE", "HTTP 500"],
    ["Ubuntu's catalogue answers 404", "ubuntu:24.04", "/ubuntu/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.json", () => new Response("", { status: 404 }), "E_INDEX_UNAVAILABLE", "HTTP 404"],
    ["AlmaLinux's CHECKSUM answers 503", "alma:9", "/almalinux/repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM", () => new Response("", { status: 503 }), "E_INDEX_UNAVAILABLE", "HTTP 503"],
  ];

  test.each(faults)("%s: %s fails with %s", async (_what, ref, path, answer, code, detail) => {
    server.override(path, answer);
    const error = await failure(ref);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ code, exitCode: 6 });
    expect(error.message).toContain(`"${server.origin}${path}"`);
    expect(error.message).toContain(detail);
  });

  test("a server that never answers times out with E_INDEX_UNAVAILABLE", async () => {
    server.override(releases, () => new Response(new ReadableStream({ start() {} })));
    const error = await failure("fedora:41", "x86_64", { timeoutMs: 200 });
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", exitCode: 6 });
    expect(error.message).toContain("no complete answer within 0.2 s");
  });

  test("a mirror that refuses connections fails with E_INDEX_UNAVAILABLE naming the URL", async () => {
    const closed = Bun.serve({ port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const error = await failure("fedora:41", "x86_64", { baseUrls: { "fedoraproject.org": url } });
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", exitCode: 6 });
    expect(error.message).toContain(`"${url}/releases.json"`);
  });

  test("an abort signal interrupts the resolve", async () => {
    server.override(releases, () => new Response(new ReadableStream({ start() {} })));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure("fedora:41", "x86_64", { signal: controller.signal });
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.exitCode).toBe(130);
  });
});
