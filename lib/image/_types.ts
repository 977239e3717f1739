/** Types fetchImage and its helpers share (kept here so no helper imports fetch-image.ts back). */
import type { Runner } from "../host/run.ts";
import type { ImageProgress } from "./progress.ts";
import type { Arch } from "./resolve/_types.ts";

/** A cached, verified image ready to be used as an overlay's base. */
export interface CachedImage {
  /** The URL or file:// path the bytes came from (a shortcut's resolved URL). */
  source: string;
  /** sha256 of the stored image, after decompression. */
  digest: string;
  format: string;
  size: number;
  path: string;
  /** True when the image came from the cache without downloading it again. */
  cached: boolean;
  /**
   * True when its bytes matched a digest from a trusted channel: --sha256, or the distro's
   * checksum read over https (or from this host). False with no digest, or one read over
   * plain http from another host (allowInsecureHttp), which anyone on the path could forge.
   */
  verified: boolean;
}

export interface FetchOptions {
  /** The image cache: the imageDir setting (by default <data dir>/images). */
  imageDir: string;
  /** Expected sha256, of the file as downloaded or of the image after decompression. */
  sha256?: string;
  /** Architecture for distro shortcuts; default: this host's. */
  arch?: Arch | string;
  /**
   * create: the architecture the image is to boot as. An image the cache knows as another's
   * (a shortcut resolved for that one, or a file or URL booted as it) is refused; a file's or
   * URL's is noted, so it is never booted as another architecture's later.
   */
  bootArch?: Arch;
  /** Never touch the network: use the cache (for shortcuts, their last resolution) or fail. */
  offline?: boolean;
  /** Upstream host → base URL for shortcuts; default: TESTCLOUD_MIRRORS. */
  baseUrls?: Partial<Record<string, string>>;
  fetch?: typeof fetch;
  /** Fetch over plain http from hosts other than loopback too (lib/image/_http-policy.ts). */
  allowInsecureHttp?: boolean;
  /** Most bytes a compressed image may expand to; default 256 GiB (maxImageSize, lib/host/_config-schema.ts). */
  maxImageSize?: number;
  /** Free bytes to leave on the cache's file system; default 5% of it, at most 1 GiB. */
  minFreeSpace?: number;
  run?: Runner;
  signal?: AbortSignal;
  onProgress?: (progress: ImageProgress) => void;
  /** Told about waits for another process's download and about retries. */
  log?: (message: string) => void;
  /** Give up on a download that receives nothing for this long; default 30 s. */
  stallMs?: number;
  /** Attempts without progress before giving up on a failing server; default 5. */
  attempts?: number;
  /** First delay between attempts, doubled each time; default 1 s for an image, 500 ms for an index. */
  retryDelayMs?: number;
  /**
   * Return the image with its use lease held until `release()`: meanwhile `image remove`
   * refuses to delete it and `image prune` skips it. For `create`, until its record is written.
   */
  lease?: boolean;
}
