import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { AlreadyExistsError, InterruptedError, StateError, UsageError } from "../errors.ts";
import { checkTraversable } from "../host/check-traversable.ts";
import { detectVirtType, type VirtType } from "../host/detect-virt.ts";
import type { Runner } from "../host/run.ts";
import { generateKeyPair } from "../host/ssh.ts";
import { fetchImage } from "../image/fetch-image.ts";
import { makeOverlay } from "../image/make-overlay.ts";
import { renderMetaData, renderUserData } from "../guest/user-data.ts";
import { writeSeed } from "../guest/write-seed.ts";
import { renderDomainXml, type NetworkSpec } from "../libvirt/domain-xml.ts";
import { connect, defineDomain, domainState, networkActive, startDomain, type Virsh } from "../libvirt/virsh.ts";
import { allocatePort } from "./allocate-port.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { randomName, validateName } from "./names.ts";
import { removeInstance } from "./remove-instance.ts";
import { instanceNames, instancePaths, readRecord, writeRecord, type InstanceRecord } from "./state.ts";
import { waitReady } from "./wait-ready.ts";

export interface CreateOptions {
  image: string;
  name?: string;
  /** "user" for user-mode networking, otherwise a libvirt network name. */
  network: string;
  ramMiB: number;
  vcpus: number;
  timeoutS: number;
  user: string;
  uri: string;
  dataDir: string;
  virtType?: VirtType;
  signal?: AbortSignal;
  run?: Runner;
  log?: (message: string) => void;
}

/** Milliseconds each phase of `create` took. */
export type Timings = Record<string, number>;

/** Creates, boots and waits for an instance; rolls everything back if any step fails. */
export async function createInstance(options: CreateOptions): Promise<InstanceInfo & { timings: Timings }> {
  const name = validateName(options.name ?? randomName());
  const conn = connect(options.uri, options.run);
  const timings: Timings = {};
  const timed = async <T>(phase: string, step: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw new InterruptedError(`Interrupted before ${phase}`);
    const start = performance.now();
    try {
      return await step();
    } finally {
      timings[phase] = Math.round(performance.now() - start);
    }
  };
  const started = performance.now();
  const network = await timed("check", () => preflight(conn, name, options));
  const image = await timed("image", () =>
    fetchImage(options.image, { dataDir: options.dataDir, run: options.run, signal: options.signal }),
  );
  const paths = instancePaths(options.dataDir, name);
  await claimDirectory(paths.dir, name);
  try {
    const record: InstanceRecord = {
      name,
      uri: options.uri,
      createdAt: new Date().toISOString(),
      user: options.user,
      image: { source: image.source, digest: image.digest, path: image.path },
      ramMiB: options.ramMiB,
      vcpus: options.vcpus,
      virtType: options.virtType ?? detectVirtType().type,
      mac: randomMac(),
      network: network === "user" ? { mode: "user", sshPort: await freePort(options.dataDir) } : network,
    };
    await timed("overlay", () => makeOverlay({ base: image.path, path: paths.overlay, run: options.run }));
    await timed("seed", () => prepareSeed(record, paths, options.run));
    await timed("define", () => define(conn, record, paths));
    await writeRecord(options.dataDir, record);
    await timed("start", () => startDomain(conn, name));
    options.log?.(`Started "${name}", waiting for ssh (timeout ${options.timeoutS} s)`);
    const ready = await timed("boot", () =>
      waitReady(conn, record, paths, { timeoutMs: options.timeoutS * 1000, signal: options.signal, run: options.run }),
    );
    timings.bootToIp = ready.ipMs;
    timings.ipToSsh = ready.sshMs - ready.ipMs;
    timings.total = Math.round(performance.now() - started);
    return { ...describe(record, paths, "running", ready.ip), timings };
  } catch (error) {
    await removeInstance(conn, options.dataDir, name, { force: true }).catch(() => rm(paths.dir, { recursive: true, force: true }));
    throw error;
  }
}

/** Fails fast, before any download: bad sizes, a taken name, a missing network, no libvirt. */
async function preflight(conn: Virsh, name: string, options: CreateOptions): Promise<"user" | NetworkSpec> {
  if (!Number.isInteger(options.ramMiB) || options.ramMiB < 64) throw new UsageError(`Invalid --ram: ${options.ramMiB}: expected MiB, at least 64`);
  if (!Number.isInteger(options.vcpus) || options.vcpus < 1) throw new UsageError(`Invalid --vcpus: ${options.vcpus}: expected a whole number of at least 1`);
  if (conn.uri.includes("/system")) checkTraversable(options.dataDir);
  if (await domainState(conn, name)) {
    throw new AlreadyExistsError(`A libvirt domain named "${name}" already exists`, { hint: `testcloud remove ${name}` });
  }
  if (await readRecord(options.dataDir, name)) {
    throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
  }
  if (options.network === "user") return "user";
  if (!(await networkActive(conn, options.network))) {
    throw new StateError(`libvirt network is not active: "${options.network}"`, { hint: `virsh net-start ${options.network}` });
  }
  return { mode: "network", name: options.network };
}

/** mkdir without -p is the atomic claim on a name: of two concurrent creates, one wins. */
async function claimDirectory(dir: string, name: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
  try {
    await mkdir(dir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
    }
    throw error;
  }
}

async function prepareSeed(record: InstanceRecord, paths: ReturnType<typeof instancePaths>, run?: Runner) {
  const key = await generateKeyPair(paths.key, `testcloud-${record.name}`, run);
  const hostKey = await generateKeyPair(paths.hostKey, `root@${record.name}`, run);
  await writeFile(paths.knownHosts, `testcloud-${record.name} ${hostKey.publicKey}\n`);
  const userData = renderUserData({ user: record.user, authorizedKeys: [key.publicKey], hostKey });
  const metaData = renderMetaData(`iid-${crypto.randomUUID()}`, record.name);
  // Copies for inspection; the user-data holds the host's private key, so owner-only.
  await writeFile(paths.userData, userData, { mode: 0o600 });
  await writeFile(paths.metaData, metaData);
  await writeSeed(paths.seed, { userData, metaData });
}

async function define(conn: Virsh, record: InstanceRecord, paths: ReturnType<typeof instancePaths>) {
  const xml = renderDomainXml({
    ...record,
    uuid: crypto.randomUUID(),
    overlay: paths.overlay,
    seed: paths.seed,
    consoleLog: paths.consoleLog,
    instanceDir: paths.dir,
  });
  await writeFile(paths.domainXml, xml);
  await defineDomain(conn, paths.domainXml);
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
