import { ImageError, InterruptedError } from "../errors.ts";

export interface DownloadOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (bytes: number, total?: number) => void;
}

/** Streams `url` into `path`, hashing on the way; returns the sha256 hex digest. */
export async function downloadTo(url: string, path: string, options: DownloadOptions = {}) {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal, redirect: "follow" });
  } catch (error) {
    if (options.signal?.aborted) throw new InterruptedError("Download interrupted");
    throw new ImageError(`Download failed: "${url}": ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || !response.body) {
    throw new ImageError(`Download failed: "${url}": HTTP ${response.status}`, {
      code: response.status === 404 ? "E_DOWNLOAD_NOT_FOUND" : "E_DOWNLOAD",
    });
  }
  const type = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(type)) {
    throw new ImageError(`Not a disk image: "${url}": the server sent an HTML page`);
  }
  const total = Number(response.headers.get("content-length")) || undefined;
  const hasher = new Bun.CryptoHasher("sha256");
  const writer = Bun.file(path).writer({ highWaterMark: 1 << 20 });
  let bytes = 0;
  try {
    for await (const chunk of response.body) {
      if (bytes === 0 && looksLikeHtml(chunk)) {
        throw new ImageError(`Not a disk image: "${url}": the body is an HTML page`);
      }
      hasher.update(chunk);
      writer.write(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.(bytes, total);
    }
  } catch (error) {
    if (error instanceof ImageError) throw error;
    if (options.signal?.aborted) throw new InterruptedError("Download interrupted");
    throw new ImageError(`Download failed: "${url}": ${(error as Error).message}`, { cause: error });
  } finally {
    await writer.end();
  }
  if (total !== undefined && bytes !== total) {
    throw new ImageError(`Download truncated: "${url}": got ${bytes} of ${total} bytes`);
  }
  return hasher.digest("hex");
}

function looksLikeHtml(chunk: Uint8Array): boolean {
  const head = new TextDecoder().decode(chunk.subarray(0, 256)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html");
}
