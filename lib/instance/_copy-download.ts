import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { NotFoundError, UsageError } from "../errors.ts";
import { guestPath, type SshTarget } from "../host/ssh.ts";
import { planTargets, type CheckedSource, type DestinationKind } from "./_copy-plan.ts";
import { PROBE_SOURCES, SEND_FILE, SEND_TREE } from "./_copy-scripts.ts";
import { readHeader } from "./_copy-stream.ts";
import { guestFailure, guestOutput, guestStream, incomplete, type Step } from "./_copy-guest.ts";
import { progressReporter, type CopiedFile, type CopyIo } from "./_copy-types.ts";
import { receiveFile, receiveTree } from "./_host-receive.ts";
import type { CopyRequest } from "./copy-request.ts";

/** Copies files and trees out of the instance: host checks, then the guest's, then the data. */
export async function download(request: CopyRequest, io: CopyIo): Promise<CopiedFile[]> {
  const destination = resolve(request.destination);
  const kind = hostKind(destination);
  const target = await io.target();
  const probe: Step = { name: request.name, words: ["test", "-e", ...request.sources], shown: `${request.name}:${request.sources[0]}` };
  const kinds = (await guestOutput(target, probe, PROBE_SOURCES, request.sources.map(guestPath), io.signal)).split("\n");
  const sources = request.sources.map((path, i) => guestSource(request, path, kinds[i]));
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

function guestSource(request: CopyRequest, path: string, kind: string | undefined): CheckedSource {
  const shown = `${request.name}:${path}`;
  if (kind === "missing") throw new NotFoundError(`Source does not exist: ${JSON.stringify(shown)}`);
  if (kind === "other") throw new UsageError(`Not a regular file or directory: ${JSON.stringify(shown)}`);
  if (kind === "directory" && !request.recursive) throw new UsageError(`Source is a directory: ${JSON.stringify(shown)}: use -r to copy it`);
  return { path, shown, directory: kind === "directory" };
}

async function downloadFile(target: SshTarget, source: CheckedSource, dest: string, step: Step, io: CopyIo): Promise<number> {
  const sender = await startSender(target, SEND_FILE, source, step, io, /^(\d+) ([0-7]{1,4}) ([0-9a-f]{64})$/);
  const [size, mode, sha256] = [Number(sender.fields[0]), parseInt(sender.fields[1]!, 8), sender.fields[2]!];
  const progress = progressReporter(io, source.shown, size);
  await receiveFile(sender.data, dest, { size, mode, sha256 }, { step, onBytes: progress.add, senderDone: sender.done, signal: io.signal });
  progress.done();
  return size;
}

async function downloadTree(target: SshTarget, source: CheckedSource, dest: string, step: Step, io: CopyIo): Promise<number> {
  const sender = await startSender(target, SEND_TREE, source, step, io, /^(\d+) (\d+) ([0-7]{1,4})$/);
  const [entries, bytes] = sender.fields.map(Number) as [number, number];
  const mode = parseInt(sender.fields[2]!, 8);
  const progress = progressReporter(io, source.shown, bytes);
  await receiveTree(sender.data, dest, { entries, bytes, mode }, { step, onBytes: progress.add, senderDone: sender.done, signal: io.signal });
  progress.done();
  return bytes;
}

/** Starts a guest sender script and reads the header line it prints before the data. */
async function startSender(target: SshTarget, script: string, source: CheckedSource, step: Step, io: CopyIo, header: RegExp) {
  const ssh = guestStream(target, script, [guestPath(source.path)], undefined, io.signal);
  const done = async () => {
    const { exitCode, stderr } = await ssh.finished;
    if (exitCode !== 0) throw guestFailure({ ...step, shown: source.shown }, exitCode, stderr, io.signal);
  };
  const head = await readHeader(ssh.stdout);
  const fields = head ? header.exec(head.header)?.slice(1) : undefined;
  if (!head || !fields) {
    await head?.rest.cancel();
    await done();
    throw incomplete(step, 0, `the guest sent no valid header: ${JSON.stringify(head?.header ?? "")}`);
  }
  return { fields, data: head.rest, done };
}
