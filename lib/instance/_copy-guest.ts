import { dirname } from "../host/posix-path.ts";
import { AlreadyExistsError, DependencyError, InterruptedError, NotFoundError, TestcloudError, ToolError } from "../errors.ts";
import { run } from "../host/run.ts";
import { spawnStreaming, type StreamingOptions, type StreamingTool } from "../host/spawn-streaming.ts";
import { sshArgv, type SshTarget } from "../host/ssh.ts";
import { GUEST_STATUS, guestScript } from "./_copy-scripts.ts";

/** Never prompt (a password or passphrase prompt would hang a script), no terminal. */
const SSH_FLAGS = ["-T", "-o", "BatchMode=yes"];

/** One step of a copy as errors show it: `ssh NAME -- cat > /tmp/x`. */
export interface Step {
  name: string;
  /** What runs in the guest, in words a reader knows (the real script is longer). */
  words: string[];
  /** The path the step writes or reads, as the user wrote it (NAME:PATH or a host path). */
  shown: string;
}

/** Runs a short guest script and returns its stdout; failures become typed errors. */
export async function guestOutput(target: SshTarget, step: Step, script: string, args: string[], signal?: AbortSignal): Promise<string> {
  const result = await run(sshArgv(target, guestScript(script, ...args), SSH_FLAGS), { allowFailure: true, signal, timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw guestFailure(step, result.exitCode, result.stderr, signal);
  return result.stdout;
}

/** Starts a guest script whose stdin or stdout carries the data. */
export function guestStream(target: SshTarget, script: string, args: (string | number)[], options: StreamingOptions): StreamingTool {
  return spawnStreaming(sshArgv(target, guestScript(script, ...args), SSH_FLAGS), options);
}

/** The error for a step that exited with `status`: named failures by their status, else the tool's. */
export function guestFailure(step: Step, status: number, stderr: string, signal?: AbortSignal): TestcloudError {
  if (signal?.aborted) return new InterruptedError(`Interrupted while copying ${JSON.stringify(step.shown)}: nothing was left at the destination`);
  const shown = JSON.stringify(step.shown);
  switch (status) {
    case GUEST_STATUS.noParent:
      return new NotFoundError(`Destination directory does not exist: ${shown}`);
    case GUEST_STATUS.missing:
      return new NotFoundError(`Source does not exist: ${shown}`);
    case GUEST_STATUS.exists:
      return new AlreadyExistsError(`Destination already exists: ${shown}: a directory copy never merges into one`, { hint: "remove it first, or name a new destination" });
    case GUEST_STATUS.isDirectory:
      return new AlreadyExistsError(`Destination is a directory: ${shown}`);
    case GUEST_STATUS.incomplete:
      return incomplete(step, status, stderr);
  }
  return new ToolError(stepArgv(step), status, stderr);
}

/** The data arrived short or different: nothing was kept. */
export function incomplete(step: Step, status: number, why: string): ToolError {
  return new ToolError(stepArgv(step), status, why, { code: "E_COPY_INCOMPLETE", hint: "nothing was kept at the destination; run the copy again" });
}

/** A host file system error while writing a download, as a typed error. */
export function hostWriteFailure(step: Step, path: string, error: unknown): TestcloudError {
  if (error instanceof TestcloudError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new DependencyError(`Permission denied: cannot write ${JSON.stringify(path)}`, { code: "E_PERMISSION" });
  }
  if (code === "ENOENT") return new NotFoundError(`Destination directory does not exist: ${JSON.stringify(dirname(path))}`);
  return new ToolError(stepArgv(step), 0, `cannot write ${JSON.stringify(path)}: ${(error as Error)?.message ?? String(error)}`);
}

function stepArgv(step: Step): string[] {
  return ["ssh", step.name, "--", ...step.words];
}
