import { InterruptedError } from "../errors.ts";
import { sshArgv } from "../host/ssh.ts";
import { run as defaultRun, type Runner } from "../host/run.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { resolveSshTarget } from "./ssh-target.ts";

/** What a command run in the guest printed, and its status. */
export interface ExecResult {
  name: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a running instance over ssh (its own key, its pinned host key) and
 * returns its status and output: what `testcloud ssh --json NAME -- CMD` prints.
 */
export async function execInstance(
  conn: Virsh,
  dataDir: string,
  name: string,
  command: string[],
  options: { run?: Runner; signal?: AbortSignal } = {},
): Promise<ExecResult> {
  const target = await resolveSshTarget(conn, dataDir, name);
  const run = options.run ?? defaultRun;
  const result = await run(sshArgv(target, command, ["-T", "-o", "BatchMode=yes"]), { allowFailure: true, signal: options.signal });
  if (options.signal?.aborted) throw new InterruptedError(`Interrupted while running a command in "${name}"`);
  return { name, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
