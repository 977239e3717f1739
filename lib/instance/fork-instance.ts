import { copyFile, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { AlreadyExistsError, NotFoundError } from "../errors.ts";
import { randomHex, renderForkIdentity } from "../guest/fork-identity.ts";
import { FORK_NETWORK_UP } from "../guest/fork-hook.ts";
import { run as defaultRun } from "../host/run.ts";
import { domainTitle } from "../libvirt/domain-title.ts";
import { forkDomainXml } from "../libvirt/fork-domain-xml.ts";
import { qemuArgs, USER_NET_ADDRESS } from "../libvirt/_qemu-args.ts";
import type { DomainFiles } from "../libvirt/_types.ts";
import { restoreDomain } from "../libvirt/restore-domain.ts";
import { readSaveImage, renderSaveHead } from "../libvirt/save-image.ts";
import { connect, defineDomain, domainState, type Virsh } from "../libvirt/virsh.ts";
import { allocateNics } from "./_allocate.ts";
import { claimDirectory, phaseTimer, rollback, settleAll, waitUntilReady, type Timings } from "./_create-steps.ts";
import { plugFirstNic } from "./_first-nic.ts";
import { domainXml, makeKeys, renderSeed, storeKeys, storeSeed, type InstanceKeys } from "./_prepare.ts";
import type { CreateResult } from "./create-instance.ts";
import { unmarkCreating } from "./creation-lock.ts";
import { describe } from "./describe.ts";
import type { EventSink } from "./events.ts";
import type { ReadyGate } from "./wait-ready.ts";
import { randomName, validateName } from "./names.ts";
import { instancePaths, readRecord, writeRecord, type InstancePaths, type InstanceRecord } from "./state.ts";
import { generationPaths, readTemplate, templatePaths, type GenerationPaths, type TemplateRecord } from "./template-state.ts";
import type { Runner } from "../host/run.ts";
import { userMode } from "../machine/machine.ts";

export interface ForkOptions {
  /** The template to fork. */
  from: string;
  name?: string;
  /** The fork's first NIC: "user" or a libvirt network; default the template's. */
  network?: string;
  timeoutS: number;
  sshConnectTimeoutS?: number;
  wait: "ssh" | "cloud-init" | "none";
  keep?: boolean;
  uri: string;
  dataDir: string;
  signal?: AbortSignal;
  run?: Runner;
  log?: (message: string) => void;
  onEvent?: EventSink;
}

/**
 * `create --from TEMPLATE`: restores the template's saved memory into a new domain whose
 * disk is an overlay on the template's, plugs in a NIC with its own MAC, and hands the
 * guest its own identity (fork-hook.sh) through fw_cfg. Rolls back like `create`.
 */
export async function forkInstance(options: ForkOptions): Promise<CreateResult> {
  const name = validateName(options.name ?? randomName());
  const conn = connect(options.uri, options.run);
  const timings: Timings = {};
  const timed = phaseTimer(timings, options.signal, options.onEvent);
  const started = performance.now();
  await timed("check", () => checkFork(conn, name, options));
  const paths = instancePaths(options.dataDir, name);
  await claimDirectory(paths.dir, name);
  try {
    // Read again once claimed: from now on no prune or `template remove` takes the generation
    // (they wait for creates in progress), and a rebuild in between is the one to use.
    const template = readCurrentTemplate(options);
    const gen = generationPaths(join(templatePaths(options.dataDir, template.name).dir, template.generation));
    const record = forkRecord(name, template, gen.dir, options);
    await allocateNics(record.machine, options.dataDir);
    const keys = makeKeys(record);
    const [head] = await Promise.all([
      timed("prepare", () => prepare(record, template, gen, paths, keys, options)),
      writeFile(paths.domainXml, domainXml(record, paths, options.dataDir)),
    ]);
    await timed("restore", () => restoreDomain(conn, { image: gen.save, ...head, fifo: join(paths.dir, "restore.fifo") }));
    await writeRecord(options.dataDir, record);
    // Neither needs the other; the guest waits for the NIC.
    await settleAll([
      timed("define", () => defineDomain(conn, paths.domainXml)),
      timed("plug", () => plugFirstNic(conn, record.uuid, record.machine, template.nicPort, paths.dir)),
    ]);
    let ip: string | null = null;
    if (options.wait !== "none") {
      ip = await waitUntilReady(conn, record, paths, { ...options, gate: hookNetworkUp(paths) }, timings, timed);
      options.onEvent?.({ event: "ready", name, ip, ms: Math.round(performance.now() - started) });
    }
    unmarkCreating(paths.dir);
    timings.total = Math.round(performance.now() - started);
    return { ...describe(record, paths, "running", ip), timings };
  } catch (error) {
    await rollback(conn, options, name, paths.dir, error);
    throw error;
  }
}

/**
 * Until the hook says on the console that the fork's network is up, ssh is not tried: in
 * user-mode networking QEMU holds a connection made before the guest has its address, and
 * hands it (and every one made while it waited) to the guest seconds later, each an sshd
 * fork in a slow guest. A guest without a serial console is tried after a few seconds.
 */
function hookNetworkUp(paths: InstancePaths): ReadyGate {
  return {
    open: async () => (await readFile(paths.consoleLog, "latin1").catch(() => "")).includes(FORK_NETWORK_UP),
    withinMs: 8000,
  };
}

/** That the template exists and the name is free, before anything is made. */
async function checkFork(conn: Virsh, name: string, options: ForkOptions): Promise<void> {
  readCurrentTemplate(options);
  const [state, record] = await Promise.all([domainState(conn, name), readRecord(options.dataDir, name)]);
  if (state || record) throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
}

function readCurrentTemplate(options: ForkOptions): TemplateRecord {
  validateName(options.from, "template");
  const template = readTemplate(options.dataDir, options.from);
  if (template) return template;
  throw new NotFoundError(`Template not found: "${options.from}"`, { code: "E_TEMPLATE_NOT_FOUND", hint: `testcloud template create ${options.from} IMAGE` });
}

function forkRecord(name: string, template: TemplateRecord, dir: string, options: ForkOptions): InstanceRecord {
  const machine = structuredClone(template.machine);
  const nic = machine.nics[0]!;
  if (options.network !== undefined && options.network !== nic.network) {
    nic.network = options.network;
    delete nic.sshPort;
  }
  return {
    name,
    uuid: crypto.randomUUID(),
    uri: options.uri,
    createdAt: new Date().toISOString(),
    user: template.user,
    image: template.image,
    machine,
    provisioning: "nocloud",
    forkedFrom: { template: template.name, dir, nicPort: template.nicPort },
  };
}

/**
 * The fork's files: keys, a seed of its own (what its next cold boot reads), its disk, its
 * identity file and UEFI variables; returns the save-image head its domain is restored
 * with (its XML, the template's cookie) and where the template's stream starts.
 */
async function prepare(
  record: InstanceRecord,
  template: TemplateRecord,
  gen: GenerationPaths,
  paths: InstancePaths,
  keys: InstanceKeys,
  options: ForkOptions,
): Promise<{ head: Uint8Array; streamOffset: number }> {
  const run = options.run ?? defaultRun;
  const instanceId = `iid-${crypto.randomUUID()}`;
  const seed = renderSeed(record, keys, { inputs: template.inputs, passwordHash: template.passwordHash }, { forkHook: true, instanceId });
  const [saved, oldUserKey, oldHostKey] = await Promise.all([
    readSaveImage(gen.save),
    readFile(`${gen.key}.pub`, "utf8"),
    readFile(`${gen.hostKey}.pub`, "utf8"),
    storeKeys(record, paths, keys),
    storeSeed(paths, seed),
    // The template's disk is ours and frozen: its backing file is the cached image.
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", gen.overlay, "-o", "lazy_refcounts=on", paths.overlay]),
    existsSync(gen.nvram) ? copyFile(gen.nvram, paths.nvram) : undefined,
  ]);
  const identity = renderForkIdentity({
    id: randomHex(16),
    hostname: record.name,
    instanceId,
    mac: record.machine.nics[0]!.mac!,
    machineId: randomHex(16),
    seed: randomHex(32),
    oldUserKey,
    userKey: keys.key.publicKey,
    oldHostKey,
    hostKey: keys.hostKey,
    // DHCP costs the guest a client and a script run (processes are slow under TCG) for an answer known here.
    staticAddress: userMode(record.machine) ? USER_NET_ADDRESS : undefined,
  });
  // Holds the guest's private host key: owner-only, like an Ignition config.
  await writeFile(paths.forkIdentity, identity, { mode: 0o600 });
  const xml = forkDomainXml(saved.xml, {
    fromDir: gen.dir,
    toDir: paths.dir,
    name: record.name,
    uuid: record.uuid,
    genid: crypto.randomUUID(),
    title: domainTitle(options.dataDir),
    createdAt: record.createdAt,
    // The fork's user-mode network (its own ports) without the NIC, which is plugged in after.
    qemuArgs: qemuArgs(record.machine, noDisks(paths), { index: template.nicPort, plugged: false }),
  });
  return { head: renderSaveHead({ ...saved, xml }), streamOffset: saved.streamOffset };
}

function noDisks(paths: InstancePaths): DomainFiles {
  return { rootDisk: paths.overlay, consoleLog: paths.consoleLog, nvram: paths.nvram, disks: [], shareHelpers: [] };
}
