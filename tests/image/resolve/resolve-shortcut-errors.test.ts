/**
 * resolveShortcut refusing what it cannot resolve (unknown shortcuts, versions and
 * architectures) and reporting broken indexes (HTML, truncated or missing files, servers that
 * hang or refuse, an abort) with the documented codes, against a real local HTTP server
 * serving the captured distro indexes (tests/fixtures/distro-indexes).
 */
import { describe, expect, test } from "bun:test";
import { ImageError, InterruptedError, NotFoundError, UsageError } from "../../../lib/errors.ts";
import type { Arch } from "../../../lib/image/resolve/resolve-shortcut.ts";
import { fixtureText, resolverFor, useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();
const { resolve, failure } = resolverFor(server);


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
