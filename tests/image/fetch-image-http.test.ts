/**
 * fetchImage against a real HTTP server on port 0 that misbehaves on purpose (errors,
 * HTML pages, non-images, a stall, a truncated body). Every image is made by the real
 * qemu-img, and after every failure the cache must hold neither a blob nor a temp file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Server, TCPSocketListener } from "bun";
import { ImageError, InterruptedError } from "../../lib/errors.ts";
import { fetchImage } from "../../lib/image/fetch-image.ts";
import type { ImageProgress } from "../../lib/image/progress.ts";
import { listDir, useTempDirs } from "../_helpers.ts";
import { blobsDir, images } from "./_cache-helpers.ts";
import {
  expectEmptyCache,
  failure,
  HTML,
  overlay,
  qcow2,
  rawDisk,
  text,
  useFetchFixtures,
  vmdk,
} from "./_fetch-image-fixtures.ts";
import { sha256 } from "./_image-server.ts";

useFetchFixtures();
const tempDir = useTempDirs();

let server: Server<undefined>;
let base: string;

beforeAll(() => {
  const octet = { "content-type": "application/octet-stream" };
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      switch (new URL(request.url).pathname) {
        case "/tiny.qcow2":
          return new Response(qcow2, { headers: octet });
        case "/redirect":
          return Response.redirect("/tiny.qcow2", 302);
        case "/overlay.qcow2":
          return new Response(overlay, { headers: octet });
        case "/disk.raw":
          return new Response(rawDisk, { headers: octet });
        case "/tiny.vmdk":
          return new Response(vmdk, { headers: octet });
        case "/broken":
          return new Response("Internal Server Error", { status: 500 });
        case "/page.html":
          return new Response(HTML, { headers: { "content-type": "text/html; charset=utf-8" } });
        case "/page-as-octet":
          return new Response(HTML, { headers: octet });
        case "/notes.txt":
          return new Response(text, { headers: octet });
        case "/stall":
          return new Response(stallingBody(), { headers: octet });
        default:
          return new Response("Not Found", { status: 404 });
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(() => server?.stop(true));

/** A body that sends one chunk and then never ends. */
function stallingBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(qcow2.subarray(0, 65536));
    },
  });
}

describe("fetchImage from an http server", () => {
  test("stores the image under its sha256 digest", async () => {
    const dataDir = await tempDir();
    const url = `${base}/tiny.qcow2`;
    const image = await fetchImage(url, { imageDir: images(dataDir) });
    const digest = sha256(qcow2);
    const path = join(blobsDir(dataDir), `sha256-${digest}`);
    expect(image).toEqual({ source: url, digest, format: "qcow2", size: qcow2.byteLength, path, cached: false, verified: false });
    expect(await Bun.file(path).bytes()).toEqual(qcow2);
    expect(await listDir(blobsDir(dataDir))).toEqual([`sha256-${digest}`]);
  });

  test("stores a raw disk that has a partition table", async () => {
    const dataDir = await tempDir();
    const image = await fetchImage(`${base}/disk.raw`, { imageDir: images(dataDir) });
    expect(image.format).toBe("raw");
    expect(image.digest).toBe(sha256(rawDisk));
    expect(image.size).toBe(rawDisk.byteLength);
  });

  test("follows redirects", async () => {
    const dataDir = await tempDir();
    expect((await fetchImage(`${base}/redirect`, { imageDir: images(dataDir) })).digest).toBe(sha256(qcow2));
  });

  test("reports progress up to the full size", async () => {
    const dataDir = await tempDir();
    const calls: [number, number | undefined, boolean][] = [];
    const onProgress = (p: ImageProgress) => void calls.push([p.bytes, p.total, p.done]);
    await fetchImage(`${base}/tiny.qcow2`, { imageDir: images(dataDir), onProgress });
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.at(-1)).toEqual([qcow2.byteLength, qcow2.byteLength, true]);
    expect(calls.filter(([, , done]) => done)).toHaveLength(1);
  });

  test("two concurrent fetches of one URL both succeed and leave one blob", async () => {
    const dataDir = await tempDir();
    const [a, b] = await Promise.all([
      fetchImage(`${base}/tiny.qcow2`, { imageDir: images(dataDir) }),
      fetchImage(`${base}/tiny.qcow2`, { imageDir: images(dataDir) }),
    ]);
    expect(a.path).toBe(b.path);
    expect(await listDir(blobsDir(dataDir))).toEqual([`sha256-${sha256(qcow2)}`]);
  });

  // docs/exit-codes.md: a 404 is an ImageError (exit 6) with code E_DOWNLOAD_NOT_FOUND.
  test("a 404 is an ImageError with code E_DOWNLOAD_NOT_FOUND", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/missing.qcow2`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    expect(error.code).toBe("E_DOWNLOAD_NOT_FOUND");
    expect(error.exitCode).toBe(6);
    expect(error.message).toContain("HTTP 404");
    await expectEmptyCache(dataDir);
  });

  test("a 500 is an ImageError with code E_DOWNLOAD", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/broken`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    expect(error.code).toBe("E_DOWNLOAD");
    expect(error.message).toContain("HTTP 500");
    await expectEmptyCache(dataDir);
  });

  test("an HTML page sent as text/html is an ImageError", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/page.html`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toContain("HTML");
    await expectEmptyCache(dataDir);
  });

  test("an HTML page sent as application/octet-stream is an ImageError", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/page-as-octet`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toContain("HTML");
    await expectEmptyCache(dataDir);
  });

  test("a text file that is no disk image is an ImageError", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/notes.txt`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });

  test("an image with a backing file is an ImageError", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/overlay.qcow2`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toContain("backing file");
    await expectEmptyCache(dataDir);
  });

  test("an image in a format other than qcow2 or raw is an ImageError", async () => {
    const dataDir = await tempDir();
    const error = await failure(`${base}/tiny.vmdk`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toContain('"vmdk"');
    await expectEmptyCache(dataDir);
  });

  test("a refused connection is an ImageError", async () => {
    const dataDir = await tempDir();
    // Bind and release a port so nothing listens on it.
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const error = await failure(`http://127.0.0.1:${port}/x.qcow2`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });

  test("an aborted download is an InterruptedError and leaves no temp file", async () => {
    const dataDir = await tempDir();
    const controller = new AbortController();
    const error = await failure(`${base}/stall`, {
      dataDir,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(error).toBeInstanceOf(InterruptedError);
    await expectEmptyCache(dataDir);
  });

  test("a failed fetch does not prevent a later successful one", async () => {
    const dataDir = await tempDir();
    await failure(`${base}/page-as-octet`, { dataDir });
    const image = await fetchImage(`${base}/tiny.qcow2`, { imageDir: images(dataDir) });
    expect(await listDir(blobsDir(dataDir))).toEqual([`sha256-${image.digest}`]);
  });
});

describe("fetchImage from a server that truncates the body", () => {
  let listener: TCPSocketListener<undefined>;

  beforeAll(() => {
    // A raw TCP server: announce the full length, send a part, close.
    listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          const head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" +
            `Content-Length: ${qcow2.byteLength}\r\nConnection: close\r\n\r\n`;
          socket.write(head);
          socket.write(qcow2.subarray(0, 4096));
          socket.end();
        },
      },
    });
  });

  afterAll(() => listener?.stop(true));

  test("a body shorter than its Content-Length is an ImageError", async () => {
    const dataDir = await tempDir();
    const error = await failure(`http://127.0.0.1:${listener.port}/tiny.qcow2`, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });
});
