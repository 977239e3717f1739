/** The checksum-file parser on every captured checksum file, and on the quirks of the formats. */
import { describe, expect, test } from "bun:test";
import { findChecksum, parseChecksums, type ChecksumEntry } from "../../../lib/image/resolve/_checksum-files.ts";
import { fixtureText } from "./_fixture-server.ts";

describe("parseChecksums on captured files", () => {
  // [fixture path, number of entries, one file it lists, that file's digest]
  const files: [string, number, string, string][] = [
    ["fedora/download.fedoraproject.org/pub/fedora/linux/releases/44/Cloud/aarch64/images/Fedora-Cloud-44-1.7-aarch64-CHECKSUM", 6, "Fedora-Cloud-Base-Generic-44-1.7.aarch64.qcow2", "55c60a3b80d3616a08705afd0459e75fe9f03c54aba7a46e4002a41a72fa0d5b"],
    ["fedora/download.fedoraproject.org/pub/fedora/linux/releases/41/Cloud/x86_64/images/Fedora-Cloud-41-1.4-x86_64-CHECKSUM", 7, "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", "6205ae0c524b4d1816dbd3573ce29b5c44ed26c9fbc874fbe48c41c89dd0bac2"],
    ["centos-stream/cloud.centos.org/centos/9-stream/x86_64/images/CHECKSUM", 5, "CentOS-Stream-GenericCloud-9-20211222.0.x86_64.qcow2", "bcebdc00511d6e18782732570056cfbc7cba318302748bfc8f66be9c0db68142"],
    ["centos-stream/cloud.centos.org/centos/9-stream/aarch64/images/CHECKSUM", 12, "CentOS-Stream-GenericCloud-9-latest.aarch64.qcow2", "66dd927b7aa643b18ad21a9368571c6ef57cc381b4febc8934397b137f14b995"],
    ["centos-stream/cloud.centos.org/centos/10-stream/x86_64/images/CHECKSUM", 10, "CentOS-Stream-GenericCloud-x86_64-10-20241118.0.x86_64.qcow2", "01851cfb3929274d36a96c5e45ec0772309f73f705a2ffacf404c67fe9966430"],
    ["centos-stream/_variants/2026-07-20-per-image-sidecar/cloud.centos.org/centos/9-stream/x86_64/images/CentOS-Stream-GenericCloud-9-20260720.0.x86_64.qcow2.SHA256SUM", 1, "CentOS-Stream-GenericCloud-9-20260720.0.x86_64.qcow2", "c2bde1f49fcb2efa55c40c4ec5011a8f2fb227c63254774b2a4d186b41f3a9a5"],
    ["debian/cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS", 6, "debian-12-genericcloud-arm64.raw", "102b6205ce89615c3cb652d5e3aaca994ddce573266f2c63492ca6da835ab75bbff747b5674c85ce6a68c7e941cac4f368fae188fcc8b02ca5ce97900f61d38f"],
    ["ubuntu/cloud-images.ubuntu.com/releases/noble/release/SHA256SUMS", 66, "ubuntu-24.04-server-cloudimg-amd64.img", "d1940f7d69d343355e183dff1e08a59852d32e7309baa7a4bad8365b11b005ac"],
    ["almalinux/repo.almalinux.org/almalinux/9/cloud/aarch64/images/CHECKSUM", 6, "AlmaLinux-9-GenericCloud-ext4-latest.aarch64.qcow2", "f436c53e6d80569c3bab2c01072bfb90c2e2f25876ee27cd9e6785fe195e6014"],
    ["rocky/dl.rockylinux.org/pub/rocky/9/images/x86_64/CHECKSUM", 6, "Rocky-9-GenericCloud-Base.latest.x86_64.qcow2", "92c206cc6f790c61583247eefe87890f8828420662c17cacf247cec78ab4eec8"],
    ["rocky/dl.rockylinux.org/pub/rocky/9/images/x86_64/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2.CHECKSUM", 1, "Rocky-9-GenericCloud-Base.latest.x86_64.qcow2", "92c206cc6f790c61583247eefe87890f8828420662c17cacf247cec78ab4eec8"],
  ];

  test.each(files)("reads %s", async (path, count, file, digest) => {
    const entries = parseChecksums(await fixtureText(path));
    expect(entries).toHaveLength(count);
    expect(findChecksum(entries, file)).toEqual({ file, algorithm: digest.length === 64 ? "sha256" : "sha512", value: digest });
  });
});

describe("parseChecksums", () => {
  const A = "a".repeat(64);
  const B = "B".repeat(64);
  const C = "c".repeat(128);
  const cases: [string, string, ChecksumEntry[]][] = [
    ["BSD lines, skipping '#' size comments", `# x.qcow2: 448968K\nSHA256 (x.qcow2) = ${A}\n`, [{ file: "x.qcow2", algorithm: "sha256", value: A }]],
    ["BSD SHA512 lines", `SHA512 (x.raw) = ${C}`, [{ file: "x.raw", algorithm: "sha512", value: C }]],
    ["GNU text-mode lines (two spaces)", `${A}  x.qcow2`, [{ file: "x.qcow2", algorithm: "sha256", value: A }]],
    ["GNU binary-mode lines (asterisk)", `${C} *x.img`, [{ file: "x.img", algorithm: "sha512", value: C }]],
    ["uppercase hex, as lowercase", `SHA256 (x) = ${B}`, [{ file: "x", algorithm: "sha256", value: "b".repeat(64) }]],
    ["CRLF line ends", `SHA256 (x) = ${A}\r\n${A}  y\r\n`, [{ file: "x", algorithm: "sha256", value: A }, { file: "y", algorithm: "sha256", value: A }]],
    ["file names with spaces and parentheses", `SHA256 (my (1).qcow2) = ${A}`, [{ file: "my (1).qcow2", algorithm: "sha256", value: A }]],
    ["no BSD line whose digest has the wrong length", `SHA256 (x) = ${A.slice(1)}\nSHA256 (y) = ${C}`, []],
    ["no GNU line with one space only before a plain name", `${A} x`, []],
    ["nothing from an HTML page", "<!DOCTYPE html><html><body>404</body></html>", []],
  ];

  test.each(cases)("reads %s", (_what, text, expected) => {
    expect(parseChecksums(text)).toEqual(expected);
  });

  const signed = (body: string, after = "") =>
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${body}\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n=AAAA\n-----END PGP SIGNATURE-----\n${after}`;

  test("reads only the signed part of a clearsigned file", () => {
    const entries = parseChecksums(signed(`SHA256 (in.qcow2) = ${A}`, `SHA256 (appended.qcow2) = ${A}\n`));
    expect(entries.map((e) => e.file)).toEqual(["in.qcow2"]);
  });

  test("undoes dash-escaping inside the signed part", () => {
    const entries = parseChecksums(signed(`- -dash.qcow2 comment\n${A}  -dash.qcow2`));
    expect(entries).toEqual([{ file: "-dash.qcow2", algorithm: "sha256", value: A }]);
  });

  test("ignores lines above the signed message", () => {
    expect(parseChecksums(`SHA256 (before) = ${A}\n${signed("")}`)).toEqual([]);
  });

  test("findChecksum matches the whole file name only", () => {
    const entries = parseChecksums(`SHA256 (x.qcow2.xz) = ${A}\nSHA256 (x.qcow2) = ${C.slice(0, 64)}`);
    expect(findChecksum(entries, "x.qcow2")?.value).toBe(C.slice(0, 64));
    expect(findChecksum(entries, "qcow2")).toBeUndefined();
  });
});
