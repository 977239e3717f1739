/**
 * Real HTTP servers on port 0 for image-cache tests.
 *
 * `useImageServer()` is a well-behaved file server (Bun.serve) that speaks Range, If-Range
 * and conditional GET like a real mirror, each switchable per file, logs every request and
 * lets a test replace the answer for a path. `useRawServer()` is a bare TCP server for what
 * Bun.serve will not do: reset a connection mid-body or stop short of its Content-Length.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import net from "node:net";
import { networkInterfaces } from "node:os";
import type { Server } from "bun";

export interface FileOptions {
  /** Default: a strong ETag from the body. null: none. */
  etag?: string | null;
  /** Default: a fixed date. null: none. */
  lastModified?: string | null;
  /** Answer Range requests with 206 (default) or ignore them and send 200. */
  ranges?: boolean;
  /** Answer If-None-Match / If-Modified-Since with 304 (default) or ignore them. */
  conditional?: boolean;
  contentType?: string;
  /** Sleep this long between 64 KiB chunks: a slow mirror. */
  chunkDelayMs?: number;
}

interface File extends Required<Omit<FileOptions, "etag" | "lastModified">> {
  body: Uint8Array;
  etag: string | null;
  lastModified: string | null;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | null;
  ifRange: string | null;
  status: number;
}

/** Answers one request; `next()` gives what the server would have sent for the path's file. */
type Handler = (request: Request, n: number, next: () => Response) => Response | Promise<Response>;

export interface ImageServer {
  origin: string;
  url(path: string): string;
  put(path: string, body: Uint8Array, options?: FileOptions): void;
  override(path: string, handler: Handler): void;
  log: LoggedRequest[];
  /** GET requests that were answered with a body (200 or 206). */
  bodyGets(path: string): LoggedRequest[];
  /** Bytes of response bodies sent for a path, by the server's count. */
  sent(path: string): number;
}

/**
 * Starts the server before the file's tests; files, overrides and the log reset after each.
 * `hostname()`: the address to listen on, when not 127.0.0.1 (read when the server starts).
 */
export function useImageServer(hostname: () => string = () => "127.0.0.1"): ImageServer {
  const files = new Map<string, File>();
  const overrides = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const sentBytes = new Map<string, number>();
  let server: Server<undefined> | undefined;
  const state: ImageServer = {
    origin: "",
    url: (path) => `${state.origin}${path}`,
    put(path, body, options = {}) {
      files.set(path, {
        body,
        etag: options.etag === undefined ? `"${new Bun.CryptoHasher("sha256").update(body).digest("hex").slice(0, 16)}"` : options.etag,
        lastModified: options.lastModified === undefined ? "Tue, 01 Apr 2025 10:00:00 GMT" : options.lastModified,
        ranges: options.ranges ?? true,
        conditional: options.conditional ?? true,
        contentType: options.contentType ?? "application/octet-stream",
        chunkDelayMs: options.chunkDelayMs ?? 0,
      });
    },
    override: (path, handler) => void overrides.set(path, handler),
    log: [],
    bodyGets: (path) => state.log.filter((r) => r.path === path && r.method === "GET" && (r.status === 200 || r.status === 206)),
    sent: (path) => sentBytes.get(path) ?? 0,
  };
  beforeAll(() => {
    server = Bun.serve({
      hostname: hostname(),
      port: 0,
      idleTimeout: 0,
      async fetch(request) {
        const path = new URL(request.url).pathname;
        const n = (counts.get(path) ?? 0) + 1;
        counts.set(path, n);
        const next = () =>
          serveFile(request, files.get(path), (bytes) => void sentBytes.set(path, (sentBytes.get(path) ?? 0) + bytes));
        const override = overrides.get(path);
        const response = override ? await override(request, n, next) : next();
        state.log.push({
          method: request.method,
          path,
          range: request.headers.get("range"),
          ifRange: request.headers.get("if-range"),
          status: response.status,
        });
        return response;
      },
    });
    state.origin = `http://${server.hostname}:${server.port}`;
  });
  afterEach(() => {
    files.clear();
    overrides.clear();
    counts.clear();
    sentBytes.clear();
    state.log.length = 0;
  });
  afterAll(() => server?.stop(true));
  return state;
}

function serveFile(request: Request, file: File | undefined, count: (bytes: number) => void): Response {
  if (!file) return new Response("Not Found", { status: 404 });
  const headers: Record<string, string> = { "content-type": file.contentType, "accept-ranges": file.ranges ? "bytes" : "none" };
  if (file.etag) headers.etag = file.etag;
  if (file.lastModified) headers["last-modified"] = file.lastModified;
  if (file.conditional && notModified(request, file)) return new Response(null, { status: 304, headers });
  const size = file.body.byteLength;
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "");
  const ifRange = request.headers.get("if-range");
  if (range && file.ranges && (ifRange === null || ifRange === file.etag || ifRange === file.lastModified)) {
    start = Number(range[1]);
    if (start >= size) return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
    headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
  }
  const status = start > 0 || headers["content-range"] ? 206 : 200;
  headers["content-length"] = String(size - start);
  if (request.method === "HEAD") return new Response(null, { status, headers });
  return new Response(chunked(file.body.subarray(start), file.chunkDelayMs, count), { status, headers });
}

function notModified(request: Request, file: File): boolean {
  const tag = request.headers.get("if-none-match");
  if (tag !== null) return file.etag !== null && tag === file.etag;
  const since = request.headers.get("if-modified-since");
  return since !== null && file.lastModified !== null && since === file.lastModified;
}

/** The body in 64 KiB chunks, counted as they are handed to the socket. */
function chunked(body: Uint8Array, delayMs: number, count: (bytes: number) => void): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset >= body.byteLength) return controller.close();
      if (delayMs > 0 && offset > 0) await Bun.sleep(delayMs);
      const chunk = body.subarray(offset, offset + 65536);
      offset += chunk.byteLength;
      count(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
}

/** What a raw server's script sees of a request. */
export interface RawRequest {
  path: string;
  headers: Record<string, string>;
  /** 1 for the first connection to this server in the current test. */
  n: number;
}

export interface RawServer {
  origin: string;
  url(path: string): string;
  /** How each connection is answered until the end of the test. */
  script(handler: (request: RawRequest, socket: net.Socket) => void): void;
  requests: RawRequest[];
}

/** A TCP server that writes raw HTTP/1.1, so a test can cut, reset or stall a response. */
export function useRawServer(): RawServer {
  let handler: ((request: RawRequest, socket: net.Socket) => void) | undefined;
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const state: RawServer = {
    origin: "",
    url: (path) => `${state.origin}${path}`,
    script: (h) => void (handler = h),
    requests: [],
  };
  beforeAll(async () => {
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      let buffered = "";
      socket.on("data", (data) => {
        buffered += data.toString("latin1");
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0 || !handler) return;
        const [line, ...rest] = buffered.slice(0, end).split("\r\n");
        buffered = buffered.slice(end + 4);
        const headers = Object.fromEntries(rest.map((h) => [h.slice(0, h.indexOf(":")).toLowerCase(), h.slice(h.indexOf(":") + 1).trim()]));
        const request = { path: line!.split(" ")[1]!, headers, n: state.requests.length + 1 };
        state.requests.push(request);
        handler(request, socket);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    state.origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterEach(() => {
    handler = undefined;
    state.requests.length = 0;
    for (const socket of sockets) socket.destroy();
  });
  afterAll(() => server?.close());
  return state;
}

/**
 * This host's first non-loopback IPv4 address, for a server that counts as "another
 * host" to the http policy while its traffic stays on this machine.
 */
export function hostAddress(): string {
  const address = Object.values(networkInterfaces()).flat().find((a) => a?.family === "IPv4" && !a.internal)?.address;
  if (!address) throw new Error("This test needs a non-loopback IPv4 address on the host");
  return address;
}

/** Writes a status line and headers. */
export function head(socket: net.Socket, status: string, headers: Record<string, string | number>): void {
  socket.write(`HTTP/1.1 ${status}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
}

/** A raw disk of `size` pseudo-random bytes with an MBR signature, as a bootable raw image has. */
export function rawDisk(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
    bytes[i + 1] = (x >>> 8) & 0xff;
    bytes[i + 2] = (x >>> 16) & 0xff;
    bytes[i + 3] = (x >>> 24) & 0xff;
  }
  bytes.set([0x55, 0xaa], 510);
  return bytes;
}

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

export function sha512(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha512").update(bytes).digest("hex");
}
