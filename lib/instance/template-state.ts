// Sync reads: listing templates is on the path of `list`-like commands.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "../host/posix-path.ts";
import type { UserInputs } from "../guest/read-user-inputs.ts";
import type { Machine } from "../machine/machine.ts";
import { filesIn } from "./state.ts";
import { writeJson } from "./write-json.ts";

/** What testcloud remembers about a template, in `templates/<name>/template.json` (and its generation's). */
export interface TemplateRecord {
  name: string;
  /** sha256 of what the template is made from (templateKey): a template is reused only for the same. */
  key: string;
  /** The directory of this build under `templates/<name>/`: a rebuild is a new generation. */
  generation: string;
  uri: string;
  createdAt: string;
  user: string;
  image: { source: string; digest: string; path: string };
  /** The machine the template ran on; its forks run on the same one with their own MACs and ports. */
  machine: Machine;
  /** The UUID the template's domain had until it was saved. */
  uuid: string;
  /** The PCIe root port (controller index) the first NIC plugs into, in the template and its forks. */
  nicPort: number;
  /** What was waited for before the save: cloud-init done, or just an ssh login. */
  wait: "ssh" | "cloud-init";
  /** The user's provisioning inputs: a fork's own seed (for its next cold boot) is made from them. */
  inputs: UserInputs;
  /** The console password's hash, if one was given: forks get the same. */
  passwordHash?: string;
}

/** Where templates live. */
export function templatesDir(dataDir: string): string {
  return join(dataDir, "templates");
}

/** A template's directory and its record (the current generation's). */
export function templatePaths(dataDir: string, name: string) {
  const dir = join(templatesDir(dataDir), name);
  return { dir, record: join(dir, "template.json") };
}

/** The files of one generation of a template: an instance's files, plus the saved state. */
export function generationPaths(dir: string) {
  return { ...filesIn(dir), save: join(dir, "state.save"), template: join(dir, "template.json") };
}

export type GenerationPaths = ReturnType<typeof generationPaths>;

/** The template's current record, or null when it has none (none made, or one still being made). */
export function readTemplate(dataDir: string, name: string): TemplateRecord | null {
  return readJson(templatePaths(dataDir, name).record);
}

/** A generation's own record (kept beside its disk, so a superseded one still says what it is). */
export function readGeneration(dir: string): TemplateRecord | null {
  return readJson(generationPaths(dir).template);
}

/** Makes `record` the template's current generation: its own copy first, then the template's. */
export async function writeTemplate(dataDir: string, record: TemplateRecord): Promise<void> {
  const paths = templatePaths(dataDir, record.name);
  await writeJson(generationPaths(join(paths.dir, record.generation)).template, record);
  await writeJson(paths.record, record);
}

/** Names of every template directory. */
export function templateNames(dataDir: string): string[] {
  return subdirectories(templatesDir(dataDir));
}

/** The generation directories of a template (absolute paths), current or not. */
export function generationDirs(dataDir: string, name: string): string[] {
  const { dir } = templatePaths(dataDir, name);
  return subdirectories(dir).map((gen) => join(dir, gen));
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function readJson<T>(path: string): T | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return null;
  }
}
