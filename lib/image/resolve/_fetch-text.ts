/**
 * Index, checksum and metadata fetches, through ofetch: each request is retried with
 * backoff on a 5xx, 408, 425, 429 or a network error, and ofetch's FetchError is mapped to
 * our codes. Redirects stay with fetchChecked (lib/image/_http-policy.ts), which hands
 * ofetch one hop at a time with `redirect: "manual"`, so the policy checks every hop
 * before it is requested. Image bodies do not come this way: lib/image/_download.ts
 * streams them with its own resume and retries.
 */
import { FetchError, ofetch, type FetchContext } from "ofetch";
import { InterruptedError, NotFoundError, TestcloudError } from "../../errors.ts";
import { fetchChecked } from "../_http-policy.ts";
import { indexUnavailable, malformedIndex } from "./_errors.ts";

export interface FetchTextOptions {
  fetch?: typeof fetch;
  /** Plain http to hosts other than loopback is allowed (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
  /** Told when an index was read over plain http from another host: it vouches for nothing. */
  onInsecure?: (url: string) => void;
  signal?: AbortSignal;
  /** Gives up on one index request after this long, retries included; default 30 s. */
  timeoutMs?: number;
  /** First delay before a retry, doubled for the next; default 500 ms. */
  retryDelayMs?: number;
  /** Connect to nothing: every request fails at once with E_NOT_CACHED. */
  offline?: boolean;
}

// Indexes are kilobytes to a few MiB (Ubuntu's simplestreams); anything far larger is not one.
const MAX_INDEX_BYTES = 64 << 20;
const DEFAULT_TIMEOUT_MS = 30_000;
const RETRIES = 2;
// ofetch's default list less 409 Conflict, which a GET of a static file does not outgrow.
const RETRY_STATUS = [408, 425, 429, 500, 502, 503, 504];

/** Fetches a text index; any non-2xx answer is an E_INDEX_UNAVAILABLE error naming the URL. */
export async function fetchText(url: string, options: FetchTextOptions = {}): Promise<string> {
  const text = await request(url, options, false);
  return text as string;
}

/** Like fetchText, but a 404 or 410 (the file is not published) gives null instead of an error. */
export async function fetchOptionalText(url: string, options: FetchTextOptions = {}): Promise<string | null> {
  return request(url, options, true);
}

/** Parses a JSON index; invalid JSON is an E_INDEX_MALFORMED error naming the URL. */
export function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformedIndex(url, `not valid JSON: ${(error as Error).message}`);
  }
}

async function request(url: string, options: FetchTextOptions, missingOk: boolean): Promise<string | null> {
  if (options.offline) throw new NotFoundError(`Not fetched offline: "${url}"`, { code: "E_NOT_CACHED" });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const deadline = Date.now() + timeoutMs;
    const { response, insecure } = await fetchChecked(url, { signal }, { ...options, fetch: hopFetch(signal, deadline, options) });
    if (insecure) options.onInsecure?.(url);
    // A 304, or a 3xx without a Location, is no index either.
    if (!response.ok) {
      await response.body?.cancel();
      throw indexUnavailable(url, `HTTP ${response.status}`);
    }
    return await readCapped(response, url);
  } catch (error) {
    if (error instanceof TestcloudError) throw error;
    if (options.signal?.aborted) throw new InterruptedError("Interrupted while fetching an image index");
    if (timeout.aborted) throw indexUnavailable(url, `no complete answer within ${timeoutMs / 1000} s`, error);
    const status = error instanceof FetchError ? error.status : undefined;
    if (missingOk && (status === 404 || status === 410)) return null;
    if (status !== undefined) throw indexUnavailable(url, `HTTP ${status}`, error);
    throw indexUnavailable(url, transportDetail(error), error);
  }
}

/** One redirect hop through ofetch: retried, and failed with a FetchError on a 4xx/5xx. */
function hopFetch(signal: AbortSignal, deadline: number, options: FetchTextOptions): typeof fetch {
  const client = ofetch.create({}, { fetch: options.fetch ?? fetch });
  const firstDelay = options.retryDelayMs ?? 500;
  const hop = (url: string | URL | Request, init?: RequestInit) =>
    client.raw(String(url), {
      ...init,
      redirect: "manual",
      // The body stays a stream: readCapped stops an endless one; ofetch would buffer it.
      responseType: "stream",
      retry: RETRIES,
      retryStatusCodes: RETRY_STATUS,
      // Doubling from the first delay, but never sleeping past the timeout or an interrupt.
      retryDelay: (context) =>
        signal.aborted ? 0 : Math.min(firstDelay * 2 ** (RETRIES - Number(context.options.retry)), Math.max(0, deadline - Date.now())),
      onRequestError: ({ error }: FetchContext & { error: Error }) => {
        // An interrupt, the timeout or our own error is final: ofetch would retry any rejection.
        if (signal.aborted || error instanceof TestcloudError) throw error;
      },
      // Let go of a failed answer's connection; only its status is used.
      onResponseError: ({ response }) => void response.body?.cancel().catch(() => {}),
    });
  return hop as typeof fetch;
}

function transportDetail(error: unknown): string {
  const cause = error instanceof FetchError ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

async function readCapped(response: Response, url: string): Promise<string> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_INDEX_BYTES) throw malformedIndex(url, `larger than ${MAX_INDEX_BYTES >> 20} MiB`);
    chunks.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
