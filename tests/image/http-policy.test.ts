/**
 * Plain http and redirects (lib/image/_http-policy.ts), against real servers: an https
 * server with a certificate made here by openssl, plain http on 127.0.0.1, and plain http
 * on this host's own non-loopback address (a "remote" mirror whose traffic stays local).
 * Plain http goes only to loopback unless allowInsecureHttp; an https → http redirect is
 * always refused; an image whose checksum came over plain http is never "verified".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Server } from "bun";
import { ImageIndex } from "../../lib/image/_index.ts";
import { isInsecureUrl } from "../../lib/image/_http-policy.ts";
import { fetchImage, type FetchOptions } from "../../lib/image/fetch-image.ts";
import { listImages } from "../../lib/image/list-images.ts";
import { resolveShortcut } from "../../lib/image/resolve/resolve-shortcut.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";
import { expectError, failure, images } from "./_cache-helpers.ts";
import { hostAddress, rawDisk, sha256, useImageServer } from "./_image-server.ts";

const local = useImageServer();
const remote = useImageServer(hostAddress);
const tempDir = useTempDirs();
const certDir = useTempDirs("all");
const DISK = rawDisk(256 << 10, 5);
// TEST-NET-2 (RFC 5737): nothing is there, and the policy must refuse before connecting.
const NOWHERE = "http://198.51.100.7/disk.raw";
const ALMA_DIR = "/alma/almalinux/9/cloud/x86_64/images/";
const ALMA_FILE = "AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2";

let https: Server<undefined>;
let trusting: typeof fetch;

beforeAll(async () => {
  requireTool("openssl", "openssl");
  const dir = await certDir();
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const ca = await Bun.file(cert).text();
  // The code's fetch, told to trust this test's certificate authority.
  trusting = ((url: string, init: RequestInit) => fetch(url, { ...init, tls: { ca } } as RequestInit)) as typeof fetch;
  https = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { key: Bun.file(key), cert: Bun.file(cert) },
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/disk.raw") return new Response(DISK);
      if (path === "/to-https") return Response.redirect(`https://127.0.0.1:${https.port}/disk.raw`, 302);
      // Anything else goes down to plain http on loopback: the http server serves the same path.
      return Response.redirect(local.url(path), 302);
    },
  });
});

afterAll(() => https?.stop(true));

const httpsUrl = (path: string) => `https://127.0.0.1:${https.port}${path}`;

/** A fetch that fails the test if anything is requested at all. */
const noRequest = (() => {
  throw new Error("a request was made");
}) as unknown as typeof fetch;

/** An AlmaLinux mirror on `server`: a CHECKSUM with the image's sha256, and the image. */
function alma(server: typeof local): FetchOptions["baseUrls"] {
  server.put(`${ALMA_DIR}CHECKSUM`, new TextEncoder().encode(`${sha256(DISK)}  ${ALMA_FILE}\n`), { contentType: "text/plain" });
  server.put(`${ALMA_DIR}${ALMA_FILE}`, DISK);
  return { "repo.almalinux.org": `${server.origin}/alma` };
}

describe("isInsecureUrl", () => {
  test.each([
    ["http://127.0.0.1:8080/a", false],
    ["http://127.9.8.7/a", false],
    ["http://0x7f.1/a", false],
    ["http://localhost:1234/a", false],
    ["http://[::1]:1234/a", false],
    ["https://198.51.100.7/a", false],
    ["http://198.51.100.7/a", true],
    ["http://10.0.0.1/a", true],
    ["http://mirror.example.org/a", true],
    ["http://localhost.example.org/a", true],
    ["http://[::ffff:127.0.0.1]/a", true],
  ])("%s: %p", (url, insecure) => {
    expect(isInsecureUrl(url)).toBe(insecure);
  });
});

describe("plain http to another host", () => {
  test("is refused with E_INSECURE_HTTP before any request, leaving nothing in the cache", async () => {
    const dataDir = await tempDir();
    const error = await failure(fetchImage(NOWHERE, { imageDir: images(dataDir), fetch: noRequest }));
    expectError(error, "E_INSECURE_HTTP", 6, `"${NOWHERE}"`);
    expect(error.hint).toContain("--allow-insecure-http");
    expect(await Bun.file(join(images(dataDir), "index.sqlite")).exists()).toBe(false);
  });

  test("is refused for an index too, before any request", async () => {
    const error = await failure(resolveShortcut("alma", "9", { arch: "x86_64", baseUrls: { "repo.almalinux.org": "http://198.51.100.7/alma" }, fetch: noRequest }));
    expectError(error, "E_INSECURE_HTTP", 6, "http://198.51.100.7/alma/");
  });

  test("is allowed with allowInsecureHttp, and an image without a trusted digest is not verified", async () => {
    const dataDir = await tempDir();
    remote.put("/disk.raw", DISK);
    const image = await fetchImage(remote.url("/disk.raw"), { imageDir: images(dataDir), allowInsecureHttp: true });
    expect([image.digest, image.verified]).toEqual([sha256(DISK), false]);
  });

  test("with --sha256 given by the user, the image is verified: the digest did not travel over http", async () => {
    const dataDir = await tempDir();
    remote.put("/disk.raw", DISK);
    const image = await fetchImage(remote.url("/disk.raw"), { imageDir: images(dataDir), allowInsecureHttp: true, sha256: sha256(DISK) });
    expect(image.verified).toBe(true);
    expect(listImages(images(dataDir)).map((i) => i.verified)).toEqual([true]);
  });
});

describe("a checksum read over plain http", () => {
  test("from another host (allowed) does not make the image verified: not when pulled, listed, nor offline", async () => {
    const dataDir = await tempDir();
    const options = { imageDir: images(dataDir), arch: "x86_64", baseUrls: alma(remote), allowInsecureHttp: true };
    const resolved = await resolveShortcut("alma", "9", { arch: "x86_64", baseUrls: options.baseUrls, allowInsecureHttp: true });
    expect(resolved.insecure).toBe(true);
    expect(resolved.notes.join("\n")).toContain("plain http");
    const image = await fetchImage("alma:9", options);
    expect([image.digest, image.verified]).toEqual([sha256(DISK), false]);
    expect(listImages(images(dataDir)).map((i) => i.verified)).toEqual([false]);
    const index = new ImageIndex(images(dataDir));
    expect(index.resolution("alma:9", "x86_64")?.insecure).toBe(true);
    index.close();
    const offline = await fetchImage("alma:9", { ...options, offline: true });
    expect([offline.cached, offline.verified]).toEqual([true, false]);
  });

  test("from this host (a loopback mirror) verifies the image", async () => {
    const dataDir = await tempDir();
    const image = await fetchImage("alma:9", { imageDir: images(dataDir), arch: "x86_64", baseUrls: alma(local) });
    expect(image.verified).toBe(true);
    expect(listImages(images(dataDir)).map((i) => i.verified)).toEqual([true]);
  });
});

describe("redirects", () => {
  test("from https to http are refused with E_INSECURE_REDIRECT, and the http URL is never requested", async () => {
    const dataDir = await tempDir();
    local.put("/disk.raw", DISK);
    const error = await failure(fetchImage(httpsUrl("/disk.raw.down"), { imageDir: images(dataDir), fetch: trusting, retryDelayMs: 5 }));
    expectError(error, "E_INSECURE_REDIRECT", 6, `"${httpsUrl("/disk.raw.down")}" -> "${local.url("/disk.raw.down")}"`);
    expect(local.log).toEqual([]);
  });

  test("from https to http are refused for an index too, even to loopback and with allowInsecureHttp", async () => {
    const baseUrls = { "repo.almalinux.org": httpsUrl("/alma") };
    alma(local);
    const error = await failure(resolveShortcut("alma", "9", { arch: "x86_64", baseUrls, fetch: trusting, allowInsecureHttp: true }));
    expectError(error, "E_INSECURE_REDIRECT", 6, `-> "${local.url(`${ALMA_DIR}CHECKSUM`)}"`);
    expect(local.log).toEqual([]);
  });

  test("from https to https are followed", async () => {
    const dataDir = await tempDir();
    expect((await fetchImage(httpsUrl("/to-https"), { imageDir: images(dataDir), fetch: trusting })).digest).toBe(sha256(DISK));
  });

  test("to a file:// URL are refused: fetch() would read the host's file", async () => {
    const dataDir = await tempDir();
    local.override("/to-file", () => new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } }));
    const error = await failure(fetchImage(local.url("/to-file"), { imageDir: images(dataDir), retryDelayMs: 5 }));
    expectError(error, "E_INSECURE_REDIRECT", 6, '"file:///etc/passwd"');
  });
});
