import { fstatSync, statSync } from "node:fs";
import { dirname, resolve } from "../host/posix-path.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { guestPath, type SshTarget } from "../host/ssh.ts";
import { planTargets, type CheckedSource, type DestinationKind } from "./_copy-plan.ts";
import { progressReporter, watchBytes } from "./_copy-progress.ts";
import { PROBE_SOURCES, SEND_FILE, SEND_TREE } from "./_copy-scripts.ts";
import { readHeader } from "./_copy-stream.ts";
import { guestFailure, guestOutput, guestStream, incomplete, type Step } from "./_copy-guest.ts";
import type { CopiedFile, CopyIo } from "./_copy-types.ts";
import { receiveFile, receiveTree } from "./_host-receive.ts";
import type { CopyRequest } from "./copy-request.ts";

interface GuestSource extends CheckedSource {
  /** Size and permission bits of a file, as the guest's probe saw them. */
  size: number;
  mode: number;
}

/** Copies files and trees out of the instance: host checks, then the guest's, then the data. */
export async function download(request: CopyRequest, io: CopyIo): Promise<CopiedFile[]> {
  const destination = resolve(request.destination);
  const kind = hostKind(destination);
  const target = await io.target();
  const probe: Step = { name: request.name, words: ["test", "-e", ...request.sources], shown: `${request.name}:${request.sources[0]}` };
  const kinds = (await guestOutput(target, probe, PROBE_SOURCES, request.sources.map(guestPath), io.signal)).split("\n");
  const sources = request.sources.map((path, i) => guestSource(request, path, kinds[i] ?? ""));
  // A trailing "/" means "a directory": resolve() would drop it.
  const targets = planTargets(sources, request.destination.endsWith("/") ? `${destination}/` : destination, kind, destination);
  const copied: CopiedFile[] = [];
  for (const [i, source] of sources.entries()) {
    const dest = resolve(targets[i]!);
    const step = (...words: string[]): Step => ({ name: request.name, words, shown: dest });
    const bytes = source.directory
      ? await downloadTree(target, source, dest, step("tar", "-c", "-C", source.path), io)
      : await downloadFile(target, source, dest, step("cat", source.path), io);
    copied.push({ source: source.path, destination: dest, kind: source.directory ? "directory" : "file", bytes });
  }
  return copied;
}

function hostKind(path: string): DestinationKind {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats) return stats.isDirectory() ? "directory" : "file";
  return statSync(dirname(path), { throwIfNoEntry: false })?.isDirectory() ? "missing" : "no-parent";
}

/** A source as the guest's probe line describes it: "directory", "file SIZE MODE", "other" or "missing". */
function guestSource(request: CopyRequest, path: string, line: string): GuestSource {
  const shown = `${request.name}:${path}`;
  const [kind, size, mode] = line.split(" ");
  if (kind === "missing") throw new NotFoundError(`Source does not exist: ${JSON.stringify(shown)}`);
  if (kind === "directory" && !request.recursive) throw new UsageError(`Source is a directory: ${JSON.stringify(shown)}: use -r to copy it`);
  if (kind === "directory") return { path, shown, directory: true, size: 0, mode: 0 };
  if (kind !== "file" || !/^\d+$/.test(size ?? "") || !/^[0-7]{1,4}$/.test(mode ?? "")) {
    throw new UsageError(`Not a regular file or directory: ${JSON.stringify(shown)}`);
  }
  return { path, shown, directory: false, size: Number(size), mode: parseInt(mode!, 8) };
}

/** ssh writes the guest's bytes straight into the temporary file: no byte passes through here. */
async function downloadFile(target: SshTarget, source: GuestSource, dest: string, step: Step, io: CopyIo): Promise<number> {
  const progress = progressReporter(io, source.shown, source.size);
  await receiveFile(dest, source, step, async (fd) => {
    const ssh = guestStream(target, SEND_FILE, [guestPath(source.path)], { stdout: fd, signal: io.signal });
    const result = await watchBytes(ssh.finished, () => fstatSync(fd).size, progress.set, source.size, ssh.kill);
    if (result.exitCode !== 0 && fstatSync(fd).size <= source.size) throw guestFailure({ ...step, shown: source.shown }, result.exitCode, result.stderr, io.signal);
  });
  progress.done();
  return source.size;
}

async function downloadTree(target: SshTarget, source: GuestSource, dest: string, step: Step, io: CopyIo): Promise<number> {
  const ssh = guestStream(target, SEND_TREE, [guestPath(source.path)], { signal: io.signal });
  const senderDone = async () => {
    const { exitCode, stderr } = await ssh.finished;
    if (exitCode !== 0) throw guestFailure({ ...step, shown: source.shown }, exitCode, stderr, io.signal);
  };
  const head = await readHeader(ssh.stdout);
  const fields = head ? /^(\d+) (\d+) ([0-7]{1,4})$/.exec(head.header)?.slice(1).map((f, i) => (i === 2 ? parseInt(f, 8) : Number(f))) : undefined;
  if (!head || !fields) {
    await head?.rest.cancel();
    await senderDone();
    throw incomplete(step, 0, `the guest sent no valid header: ${JSON.stringify(head?.header ?? "")}`);
  }
  const [entries, bytes, mode] = fields as [number, number, number];
  const progress = progressReporter(io, source.shown, bytes);
  await receiveTree(head.rest, dest, { entries, bytes, mode }, { step, onBytes: progress.add, senderDone, signal: io.signal });
  progress.done();
  return bytes;
}
