import { writeFile } from "node:fs/promises";
import { ToolError, UsageError } from "../errors.ts";
import { ensureDataDir } from "../host/data-dir.ts";
import type { MachineSettings } from "../host/_machine-settings.ts";
import type { Runner } from "../host/run.ts";
import { fetchImage, type FetchOptions } from "../image/fetch-image.ts";
import { connect, defineDomain, startDomain, type Virsh } from "../libvirt/virsh.ts";
import { waitTimeoutS } from "../machine/arch-profile.ts";
import { userMode, type Machine } from "../machine/machine.ts";
import { allocateNics, freePort, repickForwards } from "./_allocate.ts";
import { portInUse } from "./build-machine.ts";
import { unmarkCreating } from "./creation-lock.ts";
import { claimDirectory, phaseTimer, rollback, settleAll, waitUntilReady, type Timings } from "./_create-steps.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { makeMachineFiles } from "./machine-files.ts";
import { randomName, validateName } from "./names.ts";
import { preflight } from "./preflight.ts";
import { domainXml, makeKeys, provisioningMode, renderSeed, storeIgnition, storeKeys, storeSeed, type Provisioning } from "./_prepare.ts";
import { testPause } from "./_test-pause.ts";
import { instancePaths, writeRecord, type InstancePaths, type InstanceRecord, type InstanceVolumes } from "./state.ts";
import { ensureHostPool } from "./host-pool.ts";
import { instanceVolumes, makeRootDisk, uploadSeed } from "./instance-volumes.ts";
import { checkRemoteMachine } from "./remote-limits.ts";
import type { EventSink } from "./events.ts";

export interface CreateOptions {
  image: string;
  name?: string;
  /** The first NIC, which ssh goes through: "user" for user-mode networking, or a libvirt network. */
  network: string;
  /** The machine's settings (lib/host/_machine-settings.ts): memory, CPUs, firmware, disks, NICs, shares, TPM… */
  machine: MachineSettings;
  timeoutS: number;
  /** timeoutS is the timeout setting's default: a guest of another architecture then waits longer (lib/machine/arch-profile.ts). */
  defaultTimeout?: boolean;
  /** ssh's ConnectTimeout for each login attempt while waiting (the sshConnectTimeout setting). */
  sshConnectTimeoutS?: number;
  /** What "ready" means: an ssh login, cloud-init finished too, or just started. */
  wait: "ssh" | "cloud-init" | "none";
  /** Keep a failed instance for inspection instead of rolling it back. */
  keep?: boolean;
  user: string;
  uri: string;
  dataDir: string;
  /** The image cache (the imageDir setting). */
  imageDir: string;
  /** The user's user-data, network-config, keys, meta-data and password, already read and checked. */
  provisioning?: Provisioning;
  /** Passed to the image store: expected digest, cache-only mode, progress (shortcuts resolve for the machine's arch). */
  fetch?: Pick<FetchOptions, "sha256" | "offline" | "onProgress" | "baseUrls" | "allowInsecureHttp" | "maxImageSize">;
  signal?: AbortSignal;
  run?: Runner;
  log?: (message: string) => void;
  /** Phases, download progress and readiness as they happen (`--events`). */
  onEvent?: EventSink;
}

export type { Timings } from "./_create-steps.ts";

export type CreateResult = InstanceInfo & { timings: Timings };

/** Creates, boots and waits for an instance; rolls everything back if any step fails. */
export async function createInstance(options: CreateOptions): Promise<CreateResult> {
  const name = validateName(options.name ?? randomName());
  const conn = connect(options.uri, options.run);
  const timings: Timings = {};
  const timed = phaseTimer(timings, options.signal, options.onEvent);
  const started = performance.now();
  const machine = await timed("check", () => preflight(conn, name, options));
  ensureDataDir(options.dataDir, options.imageDir);
  const image = await timed("image", () =>
    fetchImage(options.image, {
      ...options.fetch,
      // Shortcuts resolve the machine's architecture; an image known as another's is refused.
      arch: machine.arch,
      bootArch: machine.arch,
      imageDir: options.imageDir,
      run: options.run,
      signal: options.signal,
      log: options.log,
      // Until the record names the image, this lease keeps image remove/prune off it.
      lease: true,
    }),
  );
  const paths = instancePaths(options.dataDir, name);
  let volumes: InstanceVolumes | undefined;
  await claimDirectory(paths.dir, name).catch((error: unknown) => {
    image.release();
    throw error;
  });
  try {
    await testPause("claimed");
    const pickedForwards = await allocateNics(machine, options.dataDir);
    const record = newRecord(name, options, { source: image.source, digest: image.digest, path: image.path }, machine);
    checkProvisioning(record, options.provisioning);
    checkRemoteMachine(record);
    const system = conn.uri.includes("/system");
    const pool = await timed("pool", () => ensureHostPool(conn, options.dataDir));
    const made = (volumes = record.volumes = instanceVolumes(pool, record, record.provisioning !== "ignition"));
    const disk = { size: machine.rootDiskSize || undefined, xmlPath: `${paths.domainXml}.disk`, run: options.run };
    // Independent steps, run together: libvirt does not look at the disk files before start.
    await settleAll([
      timed("overlay", async () => {
        const { uploadedBytes } = await makeRootDisk(conn, made, image, disk);
        if (uploadedBytes) options.log?.(`Uploaded the image to the host's pool "${pool.name}" (${uploadedBytes} bytes)`);
      }),
      timed("seed", async () => {
        await provision(record, paths, options);
        await uploadSeed(conn, made, paths);
      }),
      timed("machine", () => makeMachineFiles(record, paths, { run: options.run, system })),
      timed("define", () => define(conn, record, options.dataDir)),
    ]);
    image.release();
    await testPause("prepared");
    await timed("start", () => start(conn, record, options.dataDir, pickedForwards));
    await testPause("started");
    let ip: string | null = null;
    if (options.wait !== "none") {
      const timeoutS = waitTimeoutS(options.timeoutS, options.defaultTimeout, machine);
      options.log?.(`Started "${name}" (${machine.arch}, ${machine.virtType === "kvm" ? "KVM" : "TCG"}), waiting for ${options.wait} (timeout ${timeoutS} s)`);
      ip = await waitUntilReady(conn, record, paths, { ...options, timeoutS }, timings, timed);
      options.onEvent?.({ event: "ready", name, ip, ms: Math.round(performance.now() - started) });
    }
    // Only now is the create done: until here `clean` takes a killed create's leftovers for debris.
    unmarkCreating(paths.dir);
    timings.total = Math.round(performance.now() - started);
    return { ...describe(record, paths, "running", ip), timings };
  } catch (error) {
    await rollback(conn, options, name, paths.dir, error, volumes).finally(() => image.release());
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

/** The record of a new instance; `create` and `create --dry-run` make it the same way. */
export function newRecord(name: string, options: CreateOptions, image: InstanceRecord["image"], machine: Machine): InstanceRecord {
  return {
    name,
    uuid: crypto.randomUUID(),
    uri: options.uri,
    createdAt: new Date().toISOString(),
    user: options.user,
    image,
    machine,
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

async function define(conn: Virsh, record: InstanceRecord, dataDir: string): Promise<void> {
  const paths = instancePaths(dataDir, record.name);
  await writeFile(paths.domainXml, domainXml(record, paths, dataDir));
  await defineDomain(conn, paths.domainXml);
  await writeRecord(dataDir, record);
}

/**
 * Starts the domain. A port we picked that another process took in the meantime is picked
 * again; a port the user asked for that is taken is their error to fix.
 */
async function start(conn: Virsh, record: InstanceRecord, dataDir: string, picked: number[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDomain(conn, record.uuid);
    } catch (error) {
      const portTaken = error instanceof ToolError && /host forwarding rule|Address already in use/i.test(error.stderr);
      if (!portTaken || !userMode(record.machine) || attempt >= 5) throw error;
      const asked = record.machine.forwards.find((f, i) => !picked.includes(i) && (error as ToolError).stderr.includes(`${f.proto}:${f.hostAddr}:${f.hostPort}-`));
      if (asked) throw portInUse(asked);
      record.machine.nics[0]!.sshPort = await freePort(dataDir);
      await repickForwards(record.machine, picked);
      await define(conn, record, dataDir);
    }
  }
}
