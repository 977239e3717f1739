import { InterruptedError, TestcloudError } from "../../errors.ts";
import { fetchChecked } from "../_http-policy.ts";
import { indexUnavailable, malformedIndex } from "./_errors.ts";

export interface FetchTextOptions {
  fetch?: typeof fetch;
  /** Plain http to hosts other than loopback is allowed (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
  /** Told when an index was read over plain http from another host: it vouches for nothing. */
  onInsecure?: (url: string) => void;
  signal?: AbortSignal;
  /** Gives up on one index request after this long; default 30 s. */
  timeoutMs?: number;
}

// Indexes are kilobytes to a few MiB (Ubuntu's simplestreams); anything far larger is not one.
const MAX_INDEX_BYTES = 64 << 20;
const DEFAULT_TIMEOUT_MS = 30_000;

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
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const { response, insecure } = await fetchChecked(url, { signal }, options);
    if (insecure) options.onInsecure?.(url);
    if (missingOk && (response.status === 404 || response.status === 410)) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw indexUnavailable(url, `HTTP ${response.status}`);
    }
    return await readCapped(response, url);
  } catch (error) {
    if (error instanceof TestcloudError) throw error;
    if (options.signal?.aborted) throw new InterruptedError("Interrupted while fetching an image index");
    if (timeout.aborted) throw indexUnavailable(url, `no complete answer within ${timeoutMs / 1000} s`, error);
    throw indexUnavailable(url, (error as Error).message ?? String(error), error);
  }
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
