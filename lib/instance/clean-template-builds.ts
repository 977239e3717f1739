import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "../host/posix-path.ts";
import { METADATA_NS } from "../libvirt/domain-xml.ts";
import { destroyDomain, domainOwner, type Virsh } from "../libvirt/virsh.ts";
import { creationInProgress, creationMarked } from "./creation-in-progress.ts";
import { markCreating, unmarkCreating } from "./creation-lock.ts";
import { generationDirs, templatePaths, templateNames } from "./template-state.ts";

const BUILD = "build.json";

/** What a template build in progress is: the host it boots on and its transient domain's UUID. */
interface Build {
  uri: string;
  uuid: string;
}

/** Marks a generation directory as being built by this process (see cleanTemplateBuilds). */
export function markBuilding(dir: string, build: Build): void {
  markCreating(dir);
  writeFileSync(join(dir, BUILD), JSON.stringify(build));
}

/** The build finished: the generation is a template like any other. */
export function unmarkBuilding(dir: string): void {
  rmSync(join(dir, BUILD), { force: true });
  unmarkCreating(dir);
}

/**
 * The leftovers of a `template create` that was killed (Ctrl-C rolls back by itself): a
 * generation directory marked by a process that is gone, and the transient domain it was
 * booting, stopped only when its <metadata> names that directory. A build on another host
 * is left to a clean with that host's connection. Returns the names of the templates cleaned.
 */
export async function cleanTemplateBuilds(conn: Virsh, dataDir: string): Promise<string[]> {
  const cleaned: string[] = [];
  for (const name of templateNames(dataDir)) {
    const before = cleaned.length;
    for (const dir of generationDirs(dataDir, name)) {
      if (!(await creationMarked(dir)) || (await creationInProgress(dir))) continue;
      const build = readBuild(dir);
      if (build && build.uri !== conn.uri) continue;
      if (build && (await domainOwner(conn, build.uuid, METADATA_NS)) === dir) await destroyDomain(conn, build.uuid);
      await rm(dir, { recursive: true, force: true });
      cleaned.push(name);
    }
    // A template whose first build was killed has nothing left: its directory goes too.
    const paths = templatePaths(dataDir, name);
    const empty = generationDirs(dataDir, name).length === 0 && !(await Bun.file(paths.record).exists());
    if (cleaned.length > before && empty) await rm(paths.dir, { recursive: true, force: true });
  }
  return cleaned;
}

function readBuild(dir: string): Build | null {
  try {
    const build = JSON.parse(readFileSync(join(dir, BUILD), "utf8")) as Build;
    return typeof build.uri === "string" && typeof build.uuid === "string" ? build : null;
  } catch {
    return null;
  }
}
