import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdtempSync, openSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "../host/posix-path.ts";
import { AlreadyExistsError, ToolError } from "../errors.ts";
import { spawnStreaming } from "../host/spawn-streaming.ts";
import { counted } from "./_copy-stream.ts";
import { hostWriteFailure, incomplete, type Step } from "./_copy-guest.ts";
import { treeManifest } from "./_tree-manifest.ts";

export interface ReceiveOptions {
  step: Step;
  onBytes?: (n: number) => void;
  /** Waits for the sender and throws if it failed: nothing is renamed into place before. */
  senderDone: () => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Has `write` fill a temporary file beside `dest` (through its descriptor, so ssh writes
 * it directly) and renames it over `dest` only when `write` succeeded and exactly `size`
 * bytes are in it. The file gets the guest's permission bits but never setuid or setgid:
 * a guest decides no host privilege.
 */
export async function receiveFile(dest: string, expected: { size: number; mode: number }, step: Step, write: (fd: number) => Promise<void>): Promise<void> {
  const temp = join(dirname(dest), `.${basename(dest)}.testcloud-cp.${randomBytes(4).toString("hex")}`);
  let fd: number;
  try {
    fd = openSync(temp, "wx", 0o600);
  } catch (error) {
    throw hostWriteFailure(step, dest, error);
  }
  try {
    await write(fd);
    const got = fstatSync(fd).size;
    if (got !== expected.size) throw incomplete(step, 0, `the host received ${got} of ${expected.size} bytes`);
    fchmodSync(fd, expected.mode & 0o777);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, dest);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(temp, { force: true });
    throw hostWriteFailure(step, dest, error);
  }
}

/**
 * Unpacks a tar stream into a temporary directory beside `dest` and renames it to `dest`
 * (with the guest directory's permission bits) only when the tree has the announced
 * entries and bytes, nothing but files, directories and symlinks, and no hard link out of
 * it. GNU tar keeps members inside the directory (no "..", no leading "/", risky symlinks
 * made last); owners are never restored.
 */
export async function receiveTree(data: ReadableStream<Uint8Array>, dest: string, expected: { entries: number; bytes: number; mode: number }, options: ReceiveOptions): Promise<void> {
  if (existsOrLink(dest)) throw exists(dest);
  let temp: string;
  try {
    temp = mkdtempSync(join(dirname(dest), `.${basename(dest)}.testcloud-cp.`));
  } catch (error) {
    throw hostWriteFailure(options.step, dest, error);
  }
  try {
    const argv = ["tar", "-x", "-f", "-", "-C", temp, "--no-same-owner", "--preserve-permissions"];
    const tar = spawnStreaming(argv, { stdin: counted(data, (n) => options.onBytes?.(n)), signal: options.signal });
    await new Response(tar.stdout).arrayBuffer();
    const [, untar] = await Promise.all([options.senderDone(), tar.finished]);
    if (untar.exitCode !== 0) throw new ToolError(argv, untar.exitCode, untar.stderr);
    checkTree(temp, expected, options.step);
    chmodSync(temp, expected.mode & 0o777);
    if (existsOrLink(dest)) throw exists(dest);
    renameSync(temp, dest);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw hostWriteFailure(options.step, dest, error);
  }
}

/** Refuses what a guest must not place on the host; strips setuid, setgid and sticky bits. */
function checkTree(dir: string, expected: { entries: number; bytes: number }, step: Step): void {
  const tree = treeManifest(dir);
  if (tree.special) throw incomplete(step, 0, `refusing a device, fifo or socket: ${JSON.stringify(tree.special.slice(dir.length + 1))}`);
  if (tree.linkedOutside) throw incomplete(step, 0, `refusing a hard link out of the copy: ${JSON.stringify(tree.linkedOutside.slice(dir.length + 1))}`);
  if (tree.entries !== expected.entries || tree.bytes !== expected.bytes) {
    throw incomplete(step, 0, `the host received ${tree.entries} of ${expected.entries} entries, ${tree.bytes} of ${expected.bytes} bytes`);
  }
  for (const { path, mode } of tree.privileged) chmodSync(path, mode & 0o777);
}

function existsOrLink(path: string): boolean {
  return existsSync(path) || lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

function exists(dest: string): AlreadyExistsError {
  return new AlreadyExistsError(`Destination already exists: ${JSON.stringify(dest)}: a directory copy never merges into one`, { hint: "remove it first, or name a new destination" });
}
