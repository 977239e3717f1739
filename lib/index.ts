/**
 * testcloud as a library: the same functions its commands call, for tools that build on
 * it (as tmt builds on the Python testcloud). Start with `open()`, which reads the layered
 * configuration (config files, TESTCLOUD_* variables) and connects to libvirt once:
 *
 * ```ts
 * import { open } from "testcloud";
 * const tc = await open();
 * const vm = await tc.create("./debian-12-genericcloud-amd64.qcow2", { name: "web" });
 * console.log((await tc.exec("web", ["uname", "-r"])).stdout);
 * await tc.remove("web", { force: true });
 * ```
 *
 * Errors are TestcloudError subclasses with the `code` and `exitCode` of
 * docs/exit-codes.md; results have the shapes of docs/schema/v1.
 */
import { loadConfig, type LoadedConfig, type Settings } from "./host/config.ts";
import { fetchImage, type CachedImage, type FetchOptions } from "./image/fetch-image.ts";
import { listImages, type ImageEntry } from "./image/list-images.ts";
import { pruneImages, type PruneOptions, type PruneResult } from "./image/prune-images.ts";
import { removeImage, type RemovedImage } from "./image/remove-image.ts";
import { cleanInstances, type Cleaned } from "./instance/clean-instances.ts";
import { createInstance, type CreateOptions, type CreateResult } from "./instance/create-instance.ts";
import { createOptions } from "./instance/create-options.ts";
import { createOrFork } from "./instance/create-or-fork.ts";
import { createTemplate, type TemplateResult } from "./instance/create-template.ts";
import { listTemplates, type TemplateInfo } from "./instance/list-templates.ts";
import { removeTemplate, type RemoveTemplateResult } from "./instance/remove-template.ts";
import type { InstanceInfo } from "./instance/describe.ts";
import { execInstance, type ExecResult } from "./instance/exec-instance.ts";
import { imageUsage } from "./instance/image-usage.ts";
import { instanceInfo, type InstanceDetails } from "./instance/instance-info.ts";
import { listInstances } from "./instance/list-instances.ts";
import { powerAndWait } from "./instance/power-and-wait.ts";
import { shutdownInstance, startInstance, stopInstance, type PowerResult } from "./instance/power.ts";
import { removeInstance, type RemoveResult } from "./instance/remove-instance.ts";
import type { WaitResult } from "./instance/wait-instance.ts";
import { connect, type Virsh } from "./libvirt/virsh.ts";

export * from "./errors.ts";
export type { Machine } from "./machine/machine.ts";
export type { CachedImage, Cleaned, CreateOptions, CreateResult, ExecResult, ImageEntry, InstanceDetails, InstanceInfo, LoadedConfig, PowerResult, PruneResult, RemovedImage, RemoveResult, RemoveTemplateResult, Settings, TemplateInfo, TemplateResult, WaitResult };
// The building blocks, for callers that want them one by one.
export { cleanInstances, connect, createInstance, createOptions, createOrFork, createTemplate, execInstance, fetchImage, instanceInfo, listImages, listInstances, listTemplates, loadConfig, pruneImages, removeImage, removeInstance, removeTemplate, shutdownInstance, startInstance, stopInstance };

/** Where `open()` works: defaults come from the configuration, as for the CLI. */
export interface OpenOptions {
  /** libvirt URI (default: the `connect` setting: qemu:///system as root, else qemu:///session). */
  uri?: string;
  /** Where instances and images live (default: the `dataDir` setting). */
  dataDir?: string;
}

/** A configured testcloud: each method is one CLI verb. */
export interface Testcloud {
  config: LoadedConfig;
  uri: string;
  dataDir: string;
  /** `testcloud create IMAGE`: returns once ssh works (or as `extra.wait` says). */
  create(image: string, extra?: Partial<CreateOptions>): Promise<CreateResult>;
  list(): Promise<InstanceInfo[]>;
  info(name: string): Promise<InstanceDetails>;
  /** Starts a stopped instance and waits until ssh works. */
  start(name: string, options?: { timeoutS?: number }): Promise<PowerResult & { ready: WaitResult | null }>;
  /** Hard power-off. */
  stop(name: string): Promise<PowerResult>;
  /** ACPI shutdown; `force` powers off a guest that ignores it. */
  shutdown(name: string, options?: { timeoutS?: number; force?: boolean }): Promise<PowerResult & { forced: boolean }>;
  remove(name: string, options?: { force?: boolean }): Promise<RemoveResult>;
  /** Runs a command in the guest: `testcloud ssh --json NAME -- CMD`; `signal` stops it (an InterruptedError). */
  exec(name: string, command: string[], options?: { signal?: AbortSignal }): Promise<ExecResult>;
  clean(): Promise<Cleaned[]>;
  /** `testcloud create --from TEMPLATE`: a new instance restored from a template; `orBoot` boots its image if the fork fails. */
  fork(template: string, extra?: Partial<CreateOptions> & { orBoot?: boolean }): Promise<CreateResult>;
  templates: {
    /** `testcloud template create NAME IMAGE`: boots the image, waits for cloud-init, saves it (reused when nothing changed). */
    create(name: string, image: string, extra?: Partial<CreateOptions>): Promise<TemplateResult>;
    list(): Promise<TemplateInfo[]>;
    remove(name: string): Promise<RemoveTemplateResult>;
  };
  images: {
    pull(ref: string, options?: Pick<FetchOptions, "sha256" | "arch" | "offline">): Promise<CachedImage>;
    list(): Promise<ImageEntry[]>;
    remove(ref: string, options?: { force?: boolean }): Promise<RemovedImage>;
    prune(options?: Omit<PruneOptions, "usage">): Promise<PruneResult>;
  };
}

/** Reads the configuration, connects to libvirt, and returns the verbs. */
export async function open(options: OpenOptions = {}): Promise<Testcloud> {
  // As flags: the image cache follows a given data dir unless imageDir is set.
  const config = await loadConfig({ flags: { connect: options.uri, dataDir: options.dataDir } });
  const uri = config.settings.connect;
  const dataDir = config.settings.dataDir;
  const conn: Virsh = connect(uri);
  const s = config.settings;
  const imageDir = s.imageDir;
  const fetch = { dataDir, imageDir, baseUrls: s.baseUrls, allowInsecureHttp: s.allowInsecureHttp, maxImageSize: s.maxImageSize };
  return {
    config,
    uri,
    dataDir,
    create: (image, extra) => createInstance(createOptions(image, s, { uri, dataDir }, extra)),
    list: () => listInstances(conn, dataDir),
    info: (name) => instanceInfo(conn, dataDir, name),
    start: (name, o = {}) => powerAndWait(conn, dataDir, name, () => startInstance(conn, dataDir, name), { for: s.wait, timeoutS: o.timeoutS ?? s.timeout }),
    stop: (name) => stopInstance(conn, dataDir, name),
    shutdown: (name, o = {}) => shutdownInstance(conn, dataDir, name, { timeoutS: o.timeoutS ?? s.shutdownTimeout, force: o.force }),
    remove: (name, o = {}) => removeInstance(conn, dataDir, name, o),
    exec: (name, command, o = {}) => execInstance(conn, dataDir, name, command, { signal: o.signal }),
    clean: () => cleanInstances(conn, dataDir, imageDir),
    fork: (template, { orBoot, ...extra } = {}) =>
      createOrFork(createOptions("", s, { uri, dataDir }, extra), { from: template, orBoot, network: extra.network !== undefined }),
    templates: {
      create: (name, image, extra) => createTemplate({ ...createOptions(image, s, { uri, dataDir }, extra), name }),
      list: () => listTemplates(dataDir),
      remove: (name) => removeTemplate(dataDir, name),
    },
    images: {
      pull: (ref, o = {}) => fetchImage(ref, { ...fetch, offline: s.offline, ...o }),
      list: async () => listImages(imageDir, await imageUsage(dataDir)),
      remove: (ref, o = {}) => removeImage(imageDir, ref, { ...o, usage: () => imageUsage(dataDir) }),
      prune: (o = {}) => pruneImages(imageDir, { ...o, usage: () => imageUsage(dataDir) }),
    },
  };
}
