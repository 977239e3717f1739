/**
 * resolveShortcut against a real local HTTP server serving the captured distro indexes
 * (tests/fixtures/distro-indexes): every shortcut form, bare shortcuts, and URLs of hosts
 * without a configured base. Expected URLs and digests are copied from those files. What it
 * refuses, and broken indexes: resolve-shortcut-errors.test.ts.
 */
import { describe, expect, test } from "bun:test";
import type { Arch } from "../../../lib/image/resolve/resolve-shortcut.ts";
import { resolverFor, served, useFixtureServer } from "./_fixture-server.ts";


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
