import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "../host/posix-path.ts";
import { checkImageFile } from "../image/check-image-file.ts";
import { parseReference } from "../image/parse-reference.ts";
import { NotFoundError } from "../errors.ts";
import { connect } from "../libvirt/virsh.ts";
import type { CreateOptions } from "./create-instance.ts";
import { newRecord } from "./create-instance.ts";
import { preflight } from "./preflight.ts";
import { randomName, validateName } from "./names.ts";
import { domainXml, makeKeys, renderSeed, storeIgnition } from "./_prepare.ts";
import { instancePaths, type InstanceRecord } from "./state.ts";

/** What `create --dry-run` shows: everything create would make, made nowhere. */
export interface CreatePlan {
  dryRun: true;
  name: string;
  image: { reference: string; kind: string; format: string | null; virtualSize: number | null };
  record: InstanceRecord;
  paths: ReturnType<typeof instancePaths>;
  domainXml: string;
  userData: string;
  metaData: string;
  vendorData: string | null;
  networkConfig: string | null;
  warnings: string[];
  /** The Ignition config, for CoreOS images or --ignition (then there is no seed). */
  ignition: string | null;
}

/** Runs every check of `create` and renders its files, without creating or downloading anything. */
export async function planInstance(options: CreateOptions): Promise<CreatePlan> {
  const name = validateName(options.name ?? randomName());
  const machine = await preflight(connect(options.uri, options.run), name, options);
  const ref = parseReference(options.image);
  let info: { format: string; virtualSize: number } | null = null;
  if (ref.kind === "file") {
    if (!(await stat(ref.path).catch(() => null))?.isFile()) {
      throw new NotFoundError(`Image file not found: "${ref.path}"`, { code: "E_IMAGE_NOT_FOUND" });
    }
    // What create's image store would refuse (a file reference, another format) fails here too.
    info = await checkImageFile(ref.path, options.run);
  }
  const paths = instancePaths(options.dataDir, name);
  const source = ref.kind === "url" ? ref.url : ref.kind === "file" ? `file://${ref.path}` : options.image;
  // MACs and the ssh port are chosen when the instance is made.
  machine.nics.forEach((nic, i) => (nic.mac = `52:54:00:00:00:${i.toString(16).padStart(2, "0")}`));
  if (machine.nics[0]!.network === "user") machine.nics[0]!.sshPort = 0;
  const record = newRecord(name, options, { source, digest: "", path: "" }, machine);
  // Keys are generated for real so the user-data is exactly what create would send, then thrown away.
  const keys = makeKeys(record);
  const scratch = await mkdtemp(join(tmpdir(), "testcloud-plan-"));
  try {
    const seed = renderSeed(record, keys, options.provisioning);
    let ignition: string | null = null;
    if (record.provisioning === "ignition") {
      const scratchPaths = { ...paths, ignition: join(scratch, "config.ign") };
      await storeIgnition(record, scratchPaths, keys, options.provisioning);
      ignition = await Bun.file(scratchPaths.ignition).text();
    }
    return {
      dryRun: true,
      name,
      image: { reference: options.image, kind: ref.kind, format: info?.format ?? null, virtualSize: info?.virtualSize ?? null },
      record,
      paths,
      domainXml: domainXml(record, paths, options.dataDir),
      userData: seed.userData,
      metaData: seed.metaData,
      vendorData: seed.vendorData ?? null,
      networkConfig: seed.networkConfig ?? null,
      warnings: seed.warnings,
      ignition,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
