import { ImageError, InterruptedError } from "../errors.ts";
import type { SourceFiles } from "./_cache-paths.ts";
import { fetchChecked } from "./_http-policy.ts";
import { PartialFile, type Validators } from "./_partial.ts";
import type { ImageProgress } from "./progress.ts";

export interface DownloadOptions {
  fetch?: typeof fetch;
  /** Plain http to hosts other than loopback is allowed (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
  /** Free bytes to leave on the cache's file system (lib/image/_disk-space.ts). */
  minFreeSpace?: number;
  signal?: AbortSignal;
  /** Also compute the sha512 of the bytes (Debian publishes sha512). */
  sha512?: boolean;
  /** The bytes will be checked against a checksum: a resume without a validator is safe. */
  verified?: boolean;
  /** Validators of the cached copy: ask the server for the body only if it changed. */
  ifChanged?: Validators;
  /** Give up when no byte arrives for this long; default 30 s. */
  stallMs?: number;
  /** Attempts without progress before giving up on 5xx, resets and truncation; default 5. */
  attempts?: number;
  /** First delay between attempts, doubled each time; default 1 s. */
  retryDelayMs?: number;
  onProgress?: (progress: ImageProgress) => void;
}

export type DownloadResult =
  | { status: "unchanged" }
  | {
      status: "done";
      part: PartialFile;
      sha256: string;
      sha512: string | null;
      bytes: number;
      /** Bytes already on disk from an earlier, interrupted download. */
      resumedFrom: number;
      validators: Validators;
    };

/** A failure worth another attempt: a 5xx, a reset connection, a short body. */
class Transient extends Error {
  constructor(message: string, readonly immediate = false) {
    super(message);
  }
}

/**
 * Downloads `url` into its resumable partial file with sha256 (and sha512) computed on the
 * way, resuming with Range/If-Range, retrying with backoff and giving up on a stall. On
 * "done" the caller owns `part` and must close or discard it.
 */
export async function download(url: string, files: SourceFiles, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = await PartialFile.open(files, url, options.sha512 ?? false, options.minFreeSpace);
  const resumedFrom = part.size;
  try {
    const status = await withRetries(url, part, options);
    if (status === "unchanged") {
      await (part.size === 0 ? part.discard() : part.close());
      return { status };
    }
    const digests = await part.finish();
    return { status, part, ...digests, bytes: part.size, resumedFrom, validators: part.validators };
  } catch (error) {
    // Keep what a retry could resume; drop what is wrong (an HTML page, a full disk, a 404).
    if (error instanceof InterruptedError || isCode(error, "E_DOWNLOAD", "E_DOWNLOAD_STALLED")) await part.close();
    else await part.discard();
    throw error;
  }
}

async function withRetries(url: string, part: PartialFile, options: DownloadOptions): Promise<"done" | "unchanged"> {
  const attempts = options.attempts ?? 5;
  let failures = 0;
  let furthest = part.size;
  for (;;) {
    try {
      return await attempt(url, part, options);
    } catch (error) {
      if (!(error instanceof Transient)) throw error;
      // A link that gets further each time is flaky, not dead: only attempts that end no
      // further than any before count (a restart from zero is no progress).
      failures = part.size > furthest ? 1 : failures + 1;
      furthest = Math.max(furthest, part.size);
      if (failures >= attempts) {
        throw new ImageError(`Download failed: "${url}": ${error.message} (${attempts} attempts)`, { code: "E_DOWNLOAD" });
      }
      if (!error.immediate) await sleep((options.retryDelayMs ?? 1000) * 2 ** (failures - 1), options.signal);
    }
  }
}

async function attempt(url: string, part: PartialFile, options: DownloadOptions): Promise<"done" | "unchanged"> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const stall = watchStall(controller, options.stallMs ?? 30_000);
  const fail = (error: unknown) => transportError(error, url, stall.fired, options);
  try {
    // The file must hold what the last attempt received: a Range starts there, a restart truncates.
    await part.settle();
    const headers = requestHeaders(part, options);
    const { response } = await fetchChecked(url, { signal, headers }, options).catch((e) => {
      throw e instanceof ImageError ? e : fail(e);
    });
    stall.poke();
    const start = await accept(response, url, part, options);
    if (start === "unchanged" || start === "complete") return start === "complete" ? "done" : "unchanged";
    const total = start.total;
    const resumedFrom = part.size;
    const reader = response.body!.getReader();
    for (;;) {
      const next = await reader.read().catch((e) => {
        throw fail(e);
      });
      if (next.done) break;
      stall.poke();
      if (part.size === 0 && looksLikeHtml(next.value)) throw notAnImage(url, "the body is an HTML page");
      part.append(next.value);
      options.onProgress?.({ phase: "download", source: url, bytes: part.size, total, resumedFrom, done: false });
      await part.drain();
    }
    await part.settle();
    if (total !== undefined && part.size !== total) {
      if (part.size > total) part.restart(part.validators);
      throw new Transient(`body ended at ${part.size} of ${total} bytes`);
    }
    options.onProgress?.({ phase: "download", source: url, bytes: part.size, total: part.size, resumedFrom, done: true });
    return "done";
  } finally {
    stall.stop();
    controller.abort();
  }
}

/** Headers of one attempt: a Range to resume, or a conditional request for a cached copy. */
function requestHeaders(part: PartialFile, options: DownloadOptions): Record<string, string> {
  // Content-Encoding would make Range offsets and digests refer to other bytes than the file's.
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (part.size > 0) {
    const { etag, lastModified } = part.meta;
    const validator = etag && !etag.startsWith("W/") ? etag : lastModified;
    // Without a validator a changed file would be spliced onto the old bytes, undetected
    // unless a checksum follows: only then resume blind.
    if (validator || options.verified) {
      headers.range = `bytes=${part.size}-`;
      if (validator) headers["if-range"] = validator;
    } else {
      part.restart(part.validators);
    }
  } else if (options.ifChanged) {
    if (options.ifChanged.etag) headers["if-none-match"] = options.ifChanged.etag;
    if (options.ifChanged.lastModified) headers["if-modified-since"] = options.ifChanged.lastModified;
  }
  return headers;
}

type Start = { total: number | undefined } | "unchanged" | "complete";

/** Checks the status and headers; decides whether the body continues, restarts or is not needed. */
async function accept(response: Response, url: string, part: PartialFile, options: DownloadOptions): Promise<Start> {
  const { status } = response;
  const validators = readValidators(response);
  if (status === 304 && options.ifChanged) return "unchanged";
  if (status === 416 && part.size > 0) {
    // Nothing after our last byte: the file is complete if it has the length we expected.
    if (part.meta.length === part.size) return "complete";
    part.restart(part.validators);
    throw new Transient("the server refused to resume", true);
  }
  if (status === 404 || status === 410) {
    throw new ImageError(`Download failed: "${url}": HTTP ${status}`, { code: "E_DOWNLOAD_NOT_FOUND" });
  }
  if (status >= 500 || status === 408 || status === 429) throw new Transient(`HTTP ${status}`);
  if ((status !== 200 && status !== 206) || !response.body) {
    throw new ImageError(`Download failed: "${url}": HTTP ${status}`, { code: "E_DOWNLOAD" });
  }
  // A server that ignores conditional requests still tells whether the file changed.
  if (status === 200 && part.size === 0 && options.ifChanged && sameVersion(validators, options.ifChanged)) {
    return "unchanged";
  }
  if (/text\/html/i.test(response.headers.get("content-type") ?? "")) {
    throw notAnImage(url, "the server sent an HTML page");
  }
  if (status === 206) return resumeAt(response, url, part, validators);
  // A 200 to a Range request: the server ignores Range or the file changed. Start over.
  part.restart(validators);
  return { total: validators.length ?? undefined };
}

function resumeAt(response: Response, url: string, part: PartialFile, validators: Validators): Start {
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
  const total = range?.[3] === "*" ? null : Number(range?.[3]);
  if (!range || Number(range[1]) !== part.size || (part.meta.length !== null && total !== part.meta.length)) {
    part.restart(part.validators);
    throw new Transient(`the server answered Range with "${response.headers.get("content-range")}"`, true);
  }
  if (validators.etag || validators.lastModified) part.describe({ ...validators, length: total });
  return { total: total ?? undefined };
}

function readValidators(response: Response): Validators {
  const text =
    response.status === 206
      ? /\/(\d+)$/.exec(response.headers.get("content-range") ?? "")?.[1]
      : response.headers.get("content-length");
  const length = text === null || text === undefined ? NaN : Number(text);
  return {
    etag: response.headers.get("etag"),
    lastModified: response.headers.get("last-modified"),
    length: Number.isSafeInteger(length) ? length : null,
  };
}

/** Same upstream version: every validator both sides have agrees, and there is one at least. */
function sameVersion(a: Validators, b: Validators): boolean {
  const pairs = [[a.etag, b.etag], [a.lastModified, b.lastModified], [a.length, b.length]] as const;
  const known = pairs.filter(([x, y]) => x !== null && y !== null);
  return known.length > 0 && known.every(([x, y]) => x === y) && (a.etag !== null || a.lastModified !== null);
}

function watchStall(controller: AbortController, stallMs: number) {
  let last = performance.now();
  const state = { fired: false };
  const timer = setInterval(() => {
    if (performance.now() - last < stallMs) return;
    state.fired = true;
    controller.abort();
  }, Math.max(10, Math.min(1000, stallMs / 4)));
  return {
    get fired() {
      return state.fired;
    },
    poke: () => void (last = performance.now()),
    stop: () => clearInterval(timer),
  };
}

function transportError(error: unknown, url: string, stalled: boolean, options: DownloadOptions): Error {
  if (options.signal?.aborted) return new InterruptedError("Download interrupted");
  if (stalled) {
    const seconds = (options.stallMs ?? 30_000) / 1000;
    return new ImageError(`Download stalled: "${url}": no data for ${seconds} s`, {
      code: "E_DOWNLOAD_STALLED",
      hint: "run the same command again to resume",
    });
  }
  return new Transient((error as Error).message || String(error));
}

function notAnImage(url: string, why: string): ImageError {
  return new ImageError(`Not a disk image: "${url}": ${why}`, { code: "E_NOT_AN_IMAGE" });
}

function looksLikeHtml(chunk: Uint8Array): boolean {
  const head = new TextDecoder().decode(chunk.subarray(0, 256)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html");
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof ImageError && codes.includes(error.code);
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new InterruptedError("Download interrupted");
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
  if (signal?.aborted) throw new InterruptedError("Download interrupted");
}
