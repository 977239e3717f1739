import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { AlreadyExistsError, InterruptedError, StateError, TestcloudError, ToolError, UsageError } from "../errors.ts";
import { checkTraversable } from "../host/check-traversable.ts";
import { ensureDataDir } from "../host/data-dir.ts";
import { detectVirtType, type VirtType } from "../host/detect-virt.ts";
import type { Runner } from "../host/run.ts";
import { fetchImage, parseSha256, type FetchOptions } from "../image/fetch-image.ts";
import { hostArch, parseArch } from "../image/resolve/_arch.ts";
import { makeOverlay } from "../image/make-overlay.ts";
import { parseReference } from "../image/parse-reference.ts";
import type { NetworkSpec } from "../libvirt/domain-xml.ts";
import { connect, defineDomain, domainState, networkActive, startDomain, type Virsh } from "../libvirt/virsh.ts";
import { allocatePort } from "./allocate-port.ts";
import { markCreating, unmarkCreating } from "./creation-lock.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { randomName, validateName } from "./names.ts";
import { domainXml, makeKeys, provisioningMode, renderSeed, storeIgnition, storeKeys, storeSeed, type Provisioning } from "./_prepare.ts";
import { removeInstance } from "./remove-instance.ts";
import { testPause } from "./_test-pause.ts";
import { instanceNames, instancePaths, readRecord, writeRecord, type InstancePaths, type InstanceRecord } from "./state.ts";
import { waitCloudInit } from "./wait-instance.ts";
import { waitReady } from "./wait-ready.ts";

export interface CreateOptions {
  image: string;
  name?: string;
  /** "user" for user-mode networking, otherwise a libvirt network name. */
  network: string;
  ramMiB: number;
  vcpus: number;
  /** Virtual disk size in bytes; default: the image's own size. */
  diskSize?: number;
  timeoutS: number;
  /** What "ready" means: an ssh login, cloud-init finished too, or just started. */
  wait: "ssh" | "cloud-init" | "none";
  /** Keep a failed instance for inspection instead of rolling it back. */
  keep?: boolean;
  vnc?: boolean;
  user: string;
  uri: string;
  dataDir: string;
  virtType?: VirtType;
  /** The user's user-data, network-config, keys, meta-data and password, already read and checked. */
  provisioning?: Provisioning;
  /** Passed to the image store: expected digest, shortcut arch, cache-only mode, progress. */
  fetch?: Pick<FetchOptions, "sha256" | "arch" | "offline" | "onProgress" | "baseUrls" | "allowInsecureHttp" | "maxImageSize">;
  signal?: AbortSignal;
  run?: Runner;
  log?: (message: string) => void;
}

/** Milliseconds each phase of `create` took. */
export type Timings = Record<string, number>;

export type CreateResult = InstanceInfo & { timings: Timings };

/** Creates, boots and waits for an instance; rolls everything back if any step fails. */
export async function createInstance(options: CreateOptions): Promise<CreateResult> {
  const name = validateName(options.name ?? randomName());
  const conn = connect(options.uri, options.run);
  const timings: Timings = {};
  const timed = phaseTimer(timings, options.signal);
  const started = performance.now();
  const network = await timed("check", () => preflight(conn, name, options));
  ensureDataDir(options.dataDir);
  const image = await timed("image", () =>
    fetchImage(options.image, {
      ...options.fetch,
      dataDir: options.dataDir,
      run: options.run,
      signal: options.signal,
      log: options.log,
      // Until the record names the image, this lease keeps image remove/prune off it.
      lease: true,
    }),
  );
  const paths = instancePaths(options.dataDir, name);
  await claimDirectory(paths.dir, name).catch((error: unknown) => {
    image.release();
    throw error;
  });
  try {
    await testPause("claimed");
    const record = newRecord(name, options, { source: image.source, digest: image.digest, path: image.path }, {
      mac: randomMac(),
      network: network === "user" ? { mode: "user", sshPort: await freePort(options.dataDir) } : network,
    });
    checkProvisioning(record, options.provisioning);
    // Independent steps, run together: libvirt does not look at the disk files before start.
    await settleAll([
      timed("overlay", () => makeOverlay({ base: image.path, path: paths.overlay, size: options.diskSize, run: options.run })),
      timed("seed", () => provision(record, paths, options)),
      timed("define", () => define(conn, record, options.dataDir)),
    ]);
    image.release();
    await testPause("prepared");
    await timed("start", () => start(conn, record, options.dataDir));
    await testPause("started");
    let ip: string | null = null;
    if (options.wait !== "none") {
      options.log?.(`Started "${name}" (${record.virtType === "kvm" ? "KVM" : "TCG"}), waiting for ${options.wait} (timeout ${options.timeoutS} s)`);
      ip = await waitUntilReady(conn, record, paths, options, timings, timed);
    }
    // Only now is the create done: until here `clean` takes a killed create's leftovers for debris.
    unmarkCreating(paths.dir);
    timings.total = Math.round(performance.now() - started);
    return { ...describe(record, paths, "running", ip), timings };
  } catch (error) {
    await rollback(conn, options, name, paths.dir, error).finally(() => image.release());
    throw error;
  }
}

/** Keys, then the seed (or the Ignition config) that carries them to the guest. */
async function provision(record: InstanceRecord, paths: InstancePaths, options: CreateOptions): Promise<void> {
  const keys = makeKeys(record);
  await storeKeys(record, paths, keys);
  if (record.provisioning === "ignition") return storeIgnition(record, paths, keys, options.provisioning);
  const seed = renderSeed(record, keys, options.provisioning);
  for (const warning of seed.warnings) options.log?.(warning);
  await storeSeed(paths, seed);
}

/** Waits for every step, then fails with the first error: rollback must not race a step still writing. */
async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** The record of a new instance; `create` and `create --dry-run` make it the same way. */
export function newRecord(
  name: string,
  options: CreateOptions,
  image: InstanceRecord["image"],
  net: Pick<InstanceRecord, "mac" | "network">,
): InstanceRecord {
  return {
    name,
    uuid: crypto.randomUUID(),
    uri: options.uri,
    createdAt: new Date().toISOString(),
    user: options.user,
    image,
    ramMiB: options.ramMiB,
    vcpus: options.vcpus,
    virtType: options.virtType ?? detectVirtType().type,
    ...net,
    diskSize: options.diskSize ?? 0,
    vnc: options.vnc ?? false,
    provisioning: provisioningMode(image.source, options.provisioning),
  };
}

/** NoCloud inputs mean nothing to an Ignition guest, and the other way round: say so instead of ignoring them. */
function checkProvisioning(record: InstanceRecord, provisioning?: Provisioning): void {
  const inputs = provisioning?.inputs;
  if (record.provisioning === "ignition" && (inputs?.userData || inputs?.networkConfig || Object.keys(inputs?.metaData ?? {}).length)) {
    throw new UsageError("This image is provisioned with Ignition: --user-data, --network-config and --meta-data do not apply", {
      hint: "pass your settings with --ignition FILE",
    });
  }
}

function phaseTimer(timings: Timings, signal?: AbortSignal) {
  return async <T>(phase: string, step: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw new InterruptedError(`Interrupted before ${phase}`);
    const start = performance.now();
    try {
      return await step();
    } finally {
      timings[phase] = Math.round(performance.now() - start);
    }
  };
}

async function waitUntilReady(
  conn: Virsh,
  record: InstanceRecord,
  paths: ReturnType<typeof instancePaths>,
  options: CreateOptions,
  timings: Timings,
  timed: ReturnType<typeof phaseTimer>,
): Promise<string> {
  const ready = await timed("boot", () =>
    waitReady(conn, record, paths, { timeoutMs: options.timeoutS * 1000, signal: options.signal, run: options.run }),
  );
  timings.bootToIp = ready.ipMs;
  timings.ipToSsh = ready.sshMs - ready.ipMs;
  if (options.wait === "cloud-init") {
    const left = Math.round(Math.max(options.timeoutS * 1000 - ready.sshMs, 1000));
    await timed("cloudInit", () => waitCloudInit(record, paths, ready.ip, left, options.run));
  }
  return ready.ip;
}

async function rollback(conn: Virsh, options: CreateOptions, name: string, dir: string, error: unknown) {
  if (options.keep) {
    unmarkCreating(dir);
    if (error instanceof TestcloudError) {
      (error as { hint?: string }).hint = `kept for inspection in ${dir}; remove with: testcloud remove --force ${name}`;
    }
    return;
  }
  await removeInstance(conn, options.dataDir, name, { force: true }).catch(() => rm(dir, { recursive: true, force: true }));
}

/** Fails fast, before any download: bad sizes, a taken name, a missing network, no libvirt. */
export async function preflight(conn: Virsh, name: string, options: CreateOptions): Promise<"user" | NetworkSpec> {
  checkResources(options);
  parseReference(options.image);
  checkFetchOptions(options.fetch);
  if (conn.uri.includes("/system")) checkTraversable(options.dataDir);
  // Independent checks, one virsh call each: run them together.
  const [state, record, active] = await Promise.all([
    domainState(conn, name),
    readRecord(options.dataDir, name),
    options.network === "user" ? true : networkActive(conn, options.network),
  ]);
  if (state) {
    throw new AlreadyExistsError(`A libvirt domain named "${name}" already exists`, { hint: `testcloud remove ${name}` });
  }
  if (record) {
    throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
  }
  if (options.network === "user") return "user";
  if (!active) {
    throw new StateError(`libvirt network is not active: "${options.network}"`, { hint: `virsh net-start ${options.network}` });
  }
  return { mode: "network", name: options.network };
}

function checkResources(options: CreateOptions): void {
  const hostMiB = Math.floor(totalmem() / 2 ** 20);
  if (!Number.isInteger(options.ramMiB) || options.ramMiB < 64 || options.ramMiB > hostMiB) {
    throw new UsageError(`Invalid --ram: ${options.ramMiB}: expected MiB from 64 to the host's ${hostMiB}`);
  }
  const hostCpus = cpus().length;
  if (!Number.isInteger(options.vcpus) || options.vcpus < 1 || options.vcpus > hostCpus) {
    throw new UsageError(`Invalid --vcpus: ${options.vcpus}: expected 1 to the host's ${hostCpus}`);
  }
  if (!Number.isInteger(options.timeoutS) || options.timeoutS < 1) {
    throw new UsageError(`Invalid --timeout: ${options.timeoutS}: expected seconds, at least 1`);
  }
  if (options.diskSize !== undefined && options.diskSize > 2 ** 50) {
    throw new UsageError(`Invalid --disk-size: ${options.diskSize} bytes: at most 1 PiB`);
  }
}

/** --sha256 and --arch are checked up front, so `create --dry-run` refuses what `create` would. */
function checkFetchOptions(fetch: CreateOptions["fetch"] = {}): void {
  if (fetch.sha256 !== undefined) parseSha256(fetch.sha256);
  if (fetch.arch === undefined) return;
  const arch = parseArch(fetch.arch);
  if (arch !== hostArch()) {
    // The domain is always the host's architecture (q35, x86_64 CPU): another's image cannot boot in it.
    throw new UsageError(`Unsupported --arch for create: "${arch}": this host boots ${hostArch()} guests only`, {
      code: "E_UNSUPPORTED_ARCH",
      hint: `testcloud image pull --arch ${arch} REF downloads it without booting`,
    });
  }
}

/** mkdir without -p is the atomic claim on a name: of two concurrent creates, one wins. */
async function claimDirectory(dir: string, name: string): Promise<void> {
  try {
    await mkdir(dir);
    // 0711: QEMU reaches the disks in it, no other user lists or reads them (they are 0600).
    await chmod(dir, 0o711);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
    }
    throw error;
  }
  markCreating(dir);
}

async function define(conn: Virsh, record: InstanceRecord, dataDir: string): Promise<void> {
  const paths = instancePaths(dataDir, record.name);
  await writeFile(paths.domainXml, domainXml(record, paths, dataDir, record.vnc));
  await defineDomain(conn, paths.domainXml);
  await writeRecord(dataDir, record);
}

/** Starts the domain; a forwarded port taken in the meantime by another process gets a new one. */
async function start(conn: Virsh, record: InstanceRecord, dataDir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDomain(conn, record.uuid);
    } catch (error) {
      const portTaken = error instanceof ToolError && /host forwarding rule|Address already in use/i.test(error.stderr);
      if (!portTaken || record.network.mode !== "user" || attempt >= 5) throw error;
      record.network = { mode: "user", sshPort: await freePort(dataDir) };
      await define(conn, record, dataDir);
    }
  }
}

async function freePort(dataDir: string): Promise<number> {
  const taken = new Set<number>();
  for (const other of await instanceNames(dataDir)) {
    const record = await readRecord(dataDir, other);
    if (record?.network.mode === "user") taken.add(record.network.sshPort);
  }
  return allocatePort(taken);
}

/** A locally administered MAC in QEMU's 52:54:00 range, zero-padded. */
function randomMac(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return ["52", "54", "00", ...[...bytes].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}
