import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { NotFoundError, StateError } from "../errors.ts";
import { templateUsers } from "./list-templates.ts";
import { validateName } from "./names.ts";
import { generationDirs, readGeneration, readTemplate, templatePaths } from "./template-state.ts";
import { join } from "../host/posix-path.ts";

/** What `template remove` did. */
export interface RemoveTemplateResult {
  name: string;
  removed: boolean;
}

/**
 * Removes a template: every generation, its disk and saved memory. Refused while a fork
 * still runs on (has its disk overlaid on) one of them: remove the forks first. Refused too
 * while an instance is being created: it may be a fork restoring this template.
 */
export async function removeTemplate(dataDir: string, name: string): Promise<RemoveTemplateResult> {
  validateName(name, "template");
  const { dir } = templatePaths(dataDir, name);
  if (!existsSync(dir)) {
    throw new NotFoundError(`Template not found: "${name}"`, { code: "E_TEMPLATE_NOT_FOUND", hint: "testcloud template list" });
  }
  const { forks, creating } = await templateUsers(dataDir);
  const users = generationDirs(dataDir, name).flatMap((gen) => forks.get(gen) ?? []);
  if (users.length > 0) {
    throw new StateError(`Template "${name}" is in use by ${users.length} fork(s): ${users.join(", ")}`, {
      code: "E_TEMPLATE_IN_USE",
      hint: `testcloud remove --force ${users.join(" ")}`,
    });
  }
  if (creating.length > 0) {
    throw new StateError(`Template "${name}" may be in use: ${creating.join(", ")} ${creating.length === 1 ? "is" : "are"} being created`, {
      code: "E_TEMPLATE_IN_USE",
      hint: "try again once the create has finished",
    });
  }
  await rm(dir, { recursive: true, force: true });
  return { name, removed: true };
}

/**
 * Removes the generations of a template that are neither current nor used by a fork: a
 * rebuilt template keeps its old disk only while forks still stand on it. Nothing goes while
 * an instance is being created (a fork may be restoring an old generation): the next
 * `template create` of this template prunes it.
 */
export async function pruneGenerations(dataDir: string, name: string): Promise<void> {
  const current = readTemplate(dataDir, name);
  if (!current) return;
  const { forks, creating } = await templateUsers(dataDir);
  if (creating.length > 0) return;
  const keep = join(templatePaths(dataDir, name).dir, current.generation);
  for (const gen of generationDirs(dataDir, name)) {
    // A generation without its own record is still being made by another `template create`.
    if (gen !== keep && !forks.has(gen) && readGeneration(gen)) await rm(gen, { recursive: true, force: true });
  }
}
