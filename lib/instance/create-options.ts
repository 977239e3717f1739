import { effectiveNetwork, type Settings } from "../host/config.ts";
import type { CreateOptions } from "./create-instance.ts";

/**
 * The options of `create` that the layered settings decide (machine, network, timeouts,
 * image store): what `testcloud create` passes, and what a library user starts from.
 */
export function createOptions(image: string, settings: Settings, where: { uri: string; dataDir: string }, extra: Partial<CreateOptions> = {}): CreateOptions {
  return {
    image,
    network: effectiveNetwork({ ...settings, connect: where.uri }),
    machine: settings,
    timeoutS: settings.timeout,
    wait: settings.wait,
    user: settings.user,
    uri: where.uri,
    dataDir: where.dataDir,
    imageDir: settings.imageDir,
    ...extra,
    fetch: { offline: settings.offline, baseUrls: settings.baseUrls, allowInsecureHttp: settings.allowInsecureHttp, maxImageSize: settings.maxImageSize, ...extra.fetch },
  };
}
