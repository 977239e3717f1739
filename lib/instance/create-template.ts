import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { hostArch } from "../machine/arch.ts";
import { dirname, join } from "../host/posix-path.ts";
import { UsageError } from "../errors.ts";
import { ensureDataDir } from "../host/data-dir.ts";
import { fetchImage } from "../image/fetch-image.ts";
import { makeOverlay } from "../image/make-overlay.ts";
import { renderForkIdentity } from "../guest/fork-identity.ts";
import { forkHookConfig } from "../guest/fork-hook.ts";
import { seedPasswordHash } from "../guest/build-seed-files.ts";
import { destroyDomain, connect, domainStateByUuid, type Virsh } from "../libvirt/virsh.ts";
import { createDomain, saveDomain } from "../libvirt/virsh-save.ts";
import type { Machine } from "../machine/machine.ts";
import { allocateNics } from "./_allocate.ts";
import { phaseTimer, waitUntilReady, type Timings } from "./_create-steps.ts";
import { nicPortIndex, unplugFirstNic } from "./_first-nic.ts";
import { zeroFreeMemory } from "./_zero-free-memory.ts";
import { markBuilding, unmarkBuilding } from "./clean-template-builds.ts";
import { domainXml, makeKeys, renderSeed, storeKeys, storeSeed } from "./_prepare.ts";
import { newRecord, type CreateOptions } from "./create-instance.ts";
import { validateName } from "./names.ts";
import { preflightMachine } from "./preflight.ts";
import type { InstanceRecord } from "./state.ts";
import { templateKey } from "./template-key.ts";
import { pruneGenerations } from "./remove-template.ts";
import { describeTemplate, type TemplateInfo } from "./list-templates.ts";
import { generationPaths, readTemplate, templatePaths, templatesDir, writeTemplate, type GenerationPaths, type TemplateRecord } from "./template-state.ts";

export type TemplateOptions = Omit<CreateOptions, "name" | "wait" | "keep"> & { name: string };

export type TemplateResult = TemplateInfo & { reused: boolean; timings: Timings };

/**
 * Boots an image like `create`, waits until cloud-init is done, then saves its disk and
 * memory as template `name`. A template made from the same inputs (image digest, machine,
 * provisioning) is reused; different inputs make a new generation, and the ones no fork
 * uses any more are removed.
 */
export async function createTemplate(options: TemplateOptions): Promise<TemplateResult> {
  const name = validateName(options.name, "template");
  const conn = connect(options.uri, options.run);
  const timings: Timings = {};
  const timed = phaseTimer(timings, options.signal, options.onEvent);
  const started = performance.now();
  const machine = await timed("check", () => preflightMachine(conn, options));
  checkForkable(machine);
  ensureDataDir(options.dataDir, options.imageDir);
  const image = await timed("image", () =>
    fetchImage(options.image, { ...options.fetch, imageDir: options.imageDir, run: options.run, signal: options.signal, log: options.log, lease: true }),
  );
  try {
    const inputs = options.provisioning?.inputs ?? { metaData: {}, sshKeys: [] };
    if (inputs.ignition !== undefined || /coreos|rhcos/i.test(image.source)) {
      throw new UsageError("Templates need a cloud-init (NoCloud) image: Ignition guests cannot be forked");
    }
    const password = options.provisioning?.password;
    const forkHook = JSON.stringify(forkHookConfig());
    const key = templateKey({ digest: image.digest, machine, user: options.user, inputs, password, wait: "cloud-init", uri: options.uri, forkHook });
    const current = readTemplate(options.dataDir, name);
    if (current?.key === key) return { ...describeTemplate(options.dataDir, current), reused: true, timings };
    const generation = `${key.slice(0, 12)}-${Date.now().toString(36)}`;
    const dir = join(templatePaths(options.dataDir, name).dir, generation);
    await makeDirs(options.dataDir, dir);
    const record = newRecord(name, { ...options, wait: "cloud-init" }, { source: image.source, digest: image.digest, path: image.path }, machine);
    // Until the template is written, a killed build is clean's to remove (domain and directory).
    markBuilding(dir, { uri: options.uri, uuid: record.uuid });
    const template: TemplateRecord = {
      name,
      key,
      generation,
      uri: options.uri,
      createdAt: record.createdAt,
      user: options.user,
      image: record.image,
      machine,
      uuid: record.uuid,
      nicPort: 0,
      wait: "cloud-init",
      inputs,
      passwordHash: options.provisioning?.password === undefined ? undefined : seedPasswordHash(options.provisioning.password),
    };
    try {
      await bootAndSave(conn, template, record, generationPaths(dir), options, timings, timed);
      await writeTemplate(options.dataDir, template);
      unmarkBuilding(dir);
    } catch (error) {
      if ((await domainStateByUuid(conn, record.uuid).catch(() => null)) !== null) await destroyDomain(conn, record.uuid).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    await pruneGenerations(options.dataDir, name);
    timings.total = Math.round(performance.now() - started);
    return { ...describeTemplate(options.dataDir, template), reused: false, timings };
  } finally {
    image.release();
  }
}

/** templates/NAME/GENERATION, each 0711: QEMU reaches the disks in them, no other user lists them. */
async function makeDirs(dataDir: string, dir: string): Promise<void> {
  for (const d of [templatesDir(dataDir), dirname(dir)]) {
    await mkdir(d, { recursive: true });
    await chmod(d, 0o711);
  }
  await mkdir(dir);
  await chmod(dir, 0o711);
}

/** Forks restore a whole machine: what cannot be restored into another directory is refused up front. */
function checkForkable(machine: Machine): void {
  // The fork's NIC is plugged into a PCIe root port of q35/pc after the restore: proven on
  // the host's own architecture only.
  if (machine.arch !== hostArch()) {
    throw new UsageError(`Templates are made for this host's architecture (${hostArch()}) only, not ${machine.arch}`, { hint: "create the instance without a template" });
  }
  const why =
    machine.nics.length > 1 ? "more than one NIC" : machine.disks.length > 0 ? "extra disks" : machine.shares.length > 0 ? "shares" : machine.tpm ? "a TPM" : null;
  if (why) throw new UsageError(`Templates support one NIC and the root disk only, not ${why}`, { hint: "create the template without that option" });
}

/** Prepares the template's files, boots it with its NIC in its own root port, waits, unplugs the NIC and saves. */
async function bootAndSave(
  conn: Virsh,
  template: TemplateRecord,
  record: InstanceRecord,
  paths: GenerationPaths,
  options: TemplateOptions,
  timings: Timings,
  timed: ReturnType<typeof phaseTimer>,
): Promise<void> {
  await allocateNics(record.machine, options.dataDir);
  const keys = makeKeys(record);
  await timed("prepare", async () => {
    await storeKeys(record, paths, keys);
    const seed = renderSeed(record, keys, { inputs: template.inputs, passwordHash: template.passwordHash }, { forkHook: true });
    for (const warning of seed.warnings) options.log?.(warning);
    await Promise.all([
      storeSeed(paths, seed),
      makeOverlay({ base: template.image.path, path: paths.overlay, size: record.machine.rootDiskSize || undefined, run: options.run }),
      writeFile(paths.forkIdentity, renderForkIdentity("template")),
    ]);
  });
  const layout = { genid: crypto.randomUUID(), kind: "template" as const, name: templateDomainName(template.name) };
  await writeFile(paths.domainXml, domainXml(record, paths, options.dataDir, { ...layout, nicPort: { index: 0, plugged: false } }));
  template.nicPort = await nicPortIndex(conn, paths.domainXml);
  await writeFile(paths.domainXml, domainXml(record, paths, options.dataDir, { ...layout, nicPort: { index: template.nicPort, plugged: true } }));
  await timed("start", () => createDomain(conn, paths.domainXml));
  options.log?.(`Started template "${template.name}", waiting for cloud-init (timeout ${options.timeoutS} s)`);
  const ip = await waitUntilReady(conn, record, paths, { ...options, wait: "cloud-init" }, timings, timed);
  await timed("zero", () => zeroFreeMemory(record, paths, ip, options.run));
  await timed("unplug", () => unplugFirstNic(conn, record.uuid, record.machine));
  await timed("save", () => saveDomain(conn, record.uuid, paths.save));
  // The template keeps the machine it ran on, MACs and ports included: forks get their own.
  template.machine = record.machine;
}

/** libvirt's name for a template's domain while it is made: a dot no instance name can hold. */
export function templateDomainName(name: string): string {
  return `template.${name}`;
}
