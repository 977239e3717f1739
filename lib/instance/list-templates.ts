import { statSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import { generationDirs, generationPaths, readTemplate, templateNames, templatePaths, type TemplateRecord } from "./template-state.ts";
import { creationInProgress } from "./creation-in-progress.ts";
import { instanceNames, instancePaths, readRecord } from "./state.ts";

/** A template as `template list` and `template create` report it. */
export interface TemplateInfo {
  name: string;
  image: { source: string; digest: string };
  createdAt: string;
  /** The current generation's directory: its disk, its saved memory. */
  dir: string;
  /** Bytes on disk of the current generation (disk overlay + saved state + seed). */
  sizeBytes: number;
  memoryMiB: number;
  network: string;
  /** Instances forked from any generation of this template. */
  forks: string[];
}

/** Every template of the data dir with a finished generation, by name. */
export async function listTemplates(dataDir: string): Promise<TemplateInfo[]> {
  const { forks } = await templateUsers(dataDir);
  return templateNames(dataDir).flatMap((name) => {
    const record = readTemplate(dataDir, name);
    return record ? [describeTemplate(dataDir, record, forks)] : [];
  });
}

/** What is reported about one template. */
export function describeTemplate(dataDir: string, record: TemplateRecord, forks: Map<string, string[]> = new Map()): TemplateInfo {
  const dir = join(templatePaths(dataDir, record.name).dir, record.generation);
  const paths = generationPaths(dir);
  return {
    name: record.name,
    image: { source: record.image.source, digest: record.image.digest },
    createdAt: record.createdAt,
    dir,
    sizeBytes: [paths.overlay, paths.save, paths.seed, paths.nvram].reduce((sum, file) => sum + allocated(file), 0),
    memoryMiB: record.machine.memoryMiB,
    network: record.machine.nics[0]!.network,
    forks: generationDirs(dataDir, record.name).flatMap((gen) => forks.get(gen) ?? []).sort(),
  };
}

/** Who may stand on a template's generations, read in one pass over the instances. */
export interface TemplateUsers {
  /** Instance names by the template generation directory they were forked from. */
  forks: Map<string, string[]>;
  /**
   * Instances being created right now (by a live process, with no record yet): any of them may
   * be a fork about to restore a template generation it has read, which must not go under it.
   */
  creating: string[];
}

/** See TemplateUsers. */
export async function templateUsers(dataDir: string): Promise<TemplateUsers> {
  const users: TemplateUsers = { forks: new Map(), creating: [] };
  for (const name of await instanceNames(dataDir)) {
    // The mark first: a create writes its record before it takes the mark away, so one of
    // the two is seen whenever the create finishes in between.
    const marked = await creationInProgress(instancePaths(dataDir, name).dir);
    const record = await readRecord(dataDir, name);
    const dir = record?.forkedFrom?.dir;
    if (dir) users.forks.set(dir, [...(users.forks.get(dir) ?? []), name]);
    else if (!record && marked) users.creating.push(name);
  }
  return users;
}

function allocated(file: string): number {
  try {
    return statSync(file).blocks * 512;
  } catch {
    return 0;
  }
}
