import { accessSync, closeSync, constants, openSync, statSync } from "node:fs";
import { resolve } from "../host/posix-path.ts";
import { DependencyError, NotFoundError, ToolError, UsageError } from "../errors.ts";
import { spawnStreaming } from "../host/spawn-streaming.ts";
import { guestPath, type SshTarget } from "../host/ssh.ts";
import { planTargets, type CheckedSource, type DestinationKind } from "./_copy-plan.ts";
import { PROBE_DESTINATION, RECEIVE_FILE, RECEIVE_TREE } from "./_copy-scripts.ts";
import { counted } from "./_copy-stream.ts";
import { guestFailure, guestOutput, guestStream, type Step } from "./_copy-guest.ts";
import { fileOffset, progressReporter, watchBytes } from "./_copy-progress.ts";
import type { CopiedFile, CopyIo } from "./_copy-types.ts";
import { treeManifest } from "./_tree-manifest.ts";
import type { CopyRequest } from "./copy-request.ts";

interface HostSource extends CheckedSource {
  size: number;
  mode: number;
}

/** Copies host files and trees into the instance: host checks, then the guest's, then the data. */
export async function upload(request: CopyRequest, io: CopyIo): Promise<CopiedFile[]> {
  const sources = request.sources.map((path) => hostSource(path, request.recursive));
  const target = await io.target();
  const shown = `${request.name}:${request.destination}`;
  const probe: Step = { name: request.name, words: ["test", "-d", request.destination], shown };
  const kind = (await guestOutput(target, probe, PROBE_DESTINATION, [guestPath(request.destination)], io.signal)).trim() as DestinationKind;
  const targets = planTargets(sources, request.destination, kind, shown);
  const copied: CopiedFile[] = [];
  for (const [i, source] of sources.entries()) {
    const dest = targets[i]!;
    const step = (...words: string[]): Step => ({ name: request.name, words, shown: `${request.name}:${dest}` });
    const bytes = source.directory
      ? await uploadTree(target, source, dest, step("tar", "-x", "-C", dest), io)
      : await uploadFile(target, source, dest, step("cat", ">", dest), io);
    copied.push({ source: source.path, destination: dest, kind: source.directory ? "directory" : "file", bytes });
  }
  return copied;
}

/** A host source that exists and may be copied (a directory only with -r). */
function hostSource(path: string, recursive: boolean): HostSource {
  const absolute = resolve(path);
  const stats = statSync(absolute, { throwIfNoEntry: false });
  if (!stats) throw new NotFoundError(`Source does not exist: ${JSON.stringify(path)}`);
  if (stats.isDirectory() && !recursive) throw new UsageError(`Source is a directory: ${JSON.stringify(path)}: use -r to copy it`);
  if (!stats.isDirectory() && !stats.isFile()) throw new UsageError(`Not a regular file or directory: ${JSON.stringify(path)}`);
  try {
    accessSync(absolute, constants.R_OK | (stats.isDirectory() ? constants.X_OK : 0));
  } catch {
    throw new DependencyError(`Permission denied: cannot read ${JSON.stringify(path)}`, { code: "E_PERMISSION" });
  }
  return { path: absolute, shown: path, directory: stats.isDirectory(), size: stats.size, mode: stats.mode & 0o777 };
}

/** ssh reads the host file itself: no byte passes through this process. */
async function uploadFile(target: SshTarget, source: HostSource, dest: string, step: Step, io: CopyIo): Promise<number> {
  const progress = progressReporter(io, source.shown, source.size);
  const fd = openSync(source.path, "r");
  try {
    const ssh = guestStream(target, RECEIVE_FILE, [guestPath(dest), source.size, source.mode.toString(8)], { stdin: fd, signal: io.signal });
    const [, result] = await watchBytes(Promise.all([new Response(ssh.stdout).arrayBuffer(), ssh.finished]), () => fileOffset(fd), progress.set);
    if (result.exitCode !== 0) throw guestFailure(step, result.exitCode, result.stderr, io.signal);
  } finally {
    closeSync(fd);
  }
  progress.done();
  return source.size;
}

async function uploadTree(target: SshTarget, source: HostSource, dest: string, step: Step, io: CopyIo): Promise<number> {
  const tree = treeManifest(source.path);
  if (tree.special) throw new UsageError(`Not a regular file, directory or symlink: ${JSON.stringify(tree.special)}: cp -r copies only those`);
  const progress = progressReporter(io, source.shown, tree.bytes);
  const argv = ["tar", "-c", "-f", "-", "-C", source.path, "."];
  const tar = spawnStreaming(argv, { signal: io.signal });
  const args = [guestPath(dest), tree.entries, tree.bytes, source.mode.toString(8)];
  const ssh = guestStream(target, RECEIVE_TREE, args, { stdin: counted(tar.stdout, progress.add), signal: io.signal });
  const [, result, packed] = await Promise.all([new Response(ssh.stdout).arrayBuffer(), ssh.finished, tar.finished]);
  if (result.exitCode !== 0) throw guestFailure(step, result.exitCode, result.stderr, io.signal);
  if (packed.exitCode !== 0) throw new ToolError(argv, packed.exitCode, packed.stderr);
  progress.done();
  return tree.bytes;
}
