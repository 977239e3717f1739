/**
 * fetchImage against real sources: local files and a real HTTP server on port 0
 * that misbehaves on purpose. Every image is made by the real qemu-img, and after
 * every failure the cache must hold neither a blob nor a temp file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { utimes, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Server, TCPSocketListener } from "bun";
import {
  ImageError,
  InterruptedError,
  NotFoundError,
  TestcloudError,
  UsageError,
} from "../../lib/errors.ts";
import { fetchImage, type CachedImage } from "../../lib/image/fetch-image.ts";
import type { ImageProgress } from "../../lib/image/progress.ts";
import { createImage, listDir, requireTool, useTempDirs } from "../_helpers.ts";
import { images } from "./_cache-helpers.ts";

const fixtureDir = useTempDirs("all");
const tempDir = useTempDirs();

let qcow2: Uint8Array<ArrayBuffer>;
let overlay: Uint8Array<ArrayBuffer>;
let vmdk: Uint8Array<ArrayBuffer>;
let rawDisk: Uint8Array<ArrayBuffer>;
// Random printable text: what a mirror's error page or a wrong link might return.
const text = new TextEncoder().encode(
  Array.from({ length: 4000 }, (_, i) => "lorem ipsum dolor sit amet "[(i * 7919) % 27]).join("") + "\n",
);
const HTML = "<!DOCTYPE html>\n<html><head><title>Mirror</title></head><body>Not here</body></html>\n";

let server: Server<undefined>;
let base: string;

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  const dir = await fixtureDir();
  qcow2 = await Bun.file(await createImage(join(dir, "tiny.qcow2"), { size: 2 << 20 })).bytes();
  overlay = await Bun.file(await createImage(join(dir, "overlay.qcow2"), { backing: join(dir, "tiny.qcow2") })).bytes();
  vmdk = await Bun.file(await createImage(join(dir, "tiny.vmdk"), { format: "vmdk" })).bytes();
  // A raw disk as a bootable image has one: an MBR signature at the end of sector 0.
  rawDisk = new Uint8Array(1 << 20);
  rawDisk.set([0x55, 0xaa], 510);
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

function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

function blobsDir(dataDir: string): string {
  return join(dataDir, "images", "blobs");
}

/** Runs a fetch that must fail (retrying fast) and returns its error. */
async function failure(ref: string, { dataDir, ...options }: Partial<Parameters<typeof fetchImage>[1]> & { dataDir: string }) {
  const result = await fetchImage(ref, { retryDelayMs: 5, imageDir: images(dataDir), ...options }).then(
    (image) => image,
    (error: unknown) => error,
  );
  expect(result).toBeInstanceOf(TestcloudError);
  return result as TestcloudError;
}

/** The cache holds no blob and no temp file. */
async function expectEmptyCache(dataDir: string) {
  expect(await listDir(blobsDir(dataDir))).toEqual([]);
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

describe("fetchImage from a local file", () => {
  async function localImage(): Promise<{ dataDir: string; path: string }> {
    const dir = await tempDir();
    const path = join(dir, "disk.qcow2");
    await writeFile(path, qcow2);
    return { dataDir: join(dir, "data"), path };
  }

  test("copies the file into the cache under its digest", async () => {
    const { dataDir, path } = await localImage();
    const image = await fetchImage(path, { imageDir: images(dataDir) });
    expect(image).toMatchObject({ source: `file://${path}`, digest: sha256(qcow2), format: "qcow2", cached: false });
    expect(await Bun.file(image.path).bytes()).toEqual(qcow2);
  });

  test("accepts a file:// URL", async () => {
    const { dataDir, path } = await localImage();
    expect((await fetchImage(`file://${path}`, { imageDir: images(dataDir) })).digest).toBe(sha256(qcow2));
  });

  test("a second fetch of an unchanged file is served from the cache", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second.cached).toBe(true);
    expect(second.digest).toBe(first.digest);
    expect(second.path).toBe(first.path);
  });

  test("a cache hit reports the same fields as the first fetch", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second).toEqual({ ...first, cached: true } satisfies CachedImage);
  });

  test("a changed file is read again", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    await createImage(path, { size: 4 << 20 });
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second.cached).toBe(false);
    expect(second.digest).not.toBe(first.digest);
  });

  test("a cached blob that was deleted is read again", async () => {
    const { dataDir, path } = await localImage();
    const first = await fetchImage(path, { imageDir: images(dataDir) });
    await Bun.file(first.path).delete();
    const second = await fetchImage(path, { imageDir: images(dataDir) });
    expect(second.cached).toBe(false);
    expect(await Bun.file(second.path).bytes()).toEqual(qcow2);
  });

  test("a missing file is a NotFoundError with code E_IMAGE_NOT_FOUND", async () => {
    const dir = await tempDir();
    const dataDir = join(dir, "data");
    const error = await failure(join(dir, "nope.qcow2"), { dataDir });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.code).toBe("E_IMAGE_NOT_FOUND");
    expect(error.exitCode).toBe(4);
    await expectEmptyCache(dataDir);
  });

  test("a directory is a NotFoundError", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "images.d"));
    const dataDir = join(dir, "data");
    expect(await failure(join(dir, "images.d"), { dataDir })).toBeInstanceOf(NotFoundError);
    await expectEmptyCache(dataDir);
  });

  test("a text file that is no disk image is an ImageError", async () => {
    const dir = await tempDir();
    const path = join(dir, "notes.txt");
    await writeFile(path, text);
    const dataDir = join(dir, "data");
    const error = await failure(path, { dataDir });
    expect(error).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });

  test("an image with a backing file is an ImageError", async () => {
    const dir = await tempDir();
    const path = join(dir, "overlay.qcow2");
    await writeFile(path, overlay);
    const dataDir = join(dir, "data");
    expect(await failure(path, { dataDir })).toBeInstanceOf(ImageError);
    await expectEmptyCache(dataDir);
  });
});

describe("fetchImage with a distro shortcut", () => {
  test("an unknown distro is a UsageError with code E_UNKNOWN_IMAGE", async () => {
    const dataDir = await tempDir();
    const error = await failure("testcloud-no-such-distro:1", { dataDir });
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe("E_UNKNOWN_IMAGE");
  });
});
