import { UsageError } from "../errors.ts";
import { run as defaultRun, runAttached, type Runner } from "./run.ts";
import type { SshJump } from "./ssh-jump.ts";

/** Where and how to reach one guest over ssh, with strict host-key checking. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
  /** Name the host key is recorded under, so it holds whatever IP or port the guest gets. */
  hostKeyAlias: string;
  /** The libvirt host's sshd, when the guest runs on another host (see ssh-jump.ts). */
  jump?: SshJump;
}

/** The ssh options testcloud always uses: our key only, our known_hosts only, strict checking. */
export function sshOptions(target: SshTarget): string[] {
  return [
    "-i", target.keyPath,
    "-p", String(target.port),
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${target.knownHostsPath}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", `HostKeyAlias=${target.hostKeyAlias}`,
    "-o", "LogLevel=ERROR",
    "-F", "/dev/null",
    ...(target.jump ? ["-o", `ProxyCommand=${proxyCommand(target.jump)}`] : []),
  ];
}

/**
 * argv of an ssh call running `command` (or a login shell when empty). One word
 * is a shell command line, as with plain ssh; several words are quoted one by
 * one so they arrive as the exact argv (ssh would otherwise join them with spaces).
 */
export function sshArgv(target: SshTarget, command: string[] = [], extra: string[] = []): string[] {
  const destination = `${target.user}@${target.host}`;
  const remote = command.length > 1 ? [command.map(shellQuote).join(" ")] : command;
  return ["ssh", ...sshOptions(target), ...extra, destination, ...(remote.length ? ["--", ...remote] : [])];
}

/**
 * The ssh option that reaches a guest through the jump host: a ProxyCommand (ProxyJump cannot
 * carry the jump's own key and known_hosts). Every word is shell-quoted, as ssh runs it with
 * a shell, and "%" is doubled, as ssh expands %-tokens in it; only %h and %p are ours.
 */
export function proxyCommand(jump: SshJump): string {
  const words = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"];
  if (jump.keyPath) words.push("-i", jump.keyPath, "-o", "IdentitiesOnly=yes");
  if (jump.knownHostsPath) words.push("-o", `UserKnownHostsFile=${jump.knownHostsPath}`);
  if (jump.noVerify) words.push("-o", "StrictHostKeyChecking=no");
  if (jump.port) words.push("-p", String(jump.port));
  if (jump.user) words.push("-l", jump.user);
  const quoted = [...words, "--", jump.host].map((w) => shellQuote(w).replace(/%/g, "%%"));
  // -W takes the guest as ssh saw it: the address it has on (or behind) the jump host.
  return [...quoted.slice(0, -2), "-W", "%h:%p", ...quoted.slice(-2)].join(" ");
}

/** Quotes a word for a POSIX shell; plain words stay as they are. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Where and with what a remote command runs: `ssh --workdir DIR --env K=V`. */
export interface RemoteContext {
  workdir?: string;
  env?: [name: string, value: string][];
}

/**
 * The remote command prefixed with `cd DIR && export K=V &&` as one shell line (export,
 * not env(1), so a one-word command stays a shell line: pipes and builtins see the
 * variables too). Without a command it becomes the user's login shell, so an
 * interactive login gets the directory and variables as well.
 */
export function inContext(command: string[], context: RemoteContext): string[] {
  const env = context.env ?? [];
  if (context.workdir === undefined && env.length === 0) return command;
  const steps: string[] = [];
  if (context.workdir !== undefined) steps.push(`cd -- ${shellQuote(guestPath(context.workdir))}`);
  if (env.length > 0) steps.push(`export ${env.map(([name, value]) => `${name}=${shellQuote(value)}`).join(" ")}`);
  const line = command.length === 0 ? 'exec "${SHELL:-/bin/sh}" -l' : command.length === 1 ? command[0]! : command.map(shellQuote).join(" ");
  return [[...steps, line].join(" && ")];
}

/** Parses repeated `--env NAME=VALUE` flags; the name must be a shell variable name. */
export function parseEnvAssignments(values: string[]): [name: string, value: string][] {
  return values.map((assignment) => {
    const at = assignment.indexOf("=");
    const name = at < 0 ? assignment : assignment.slice(0, at);
    if (at < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`Invalid --env: ${JSON.stringify(assignment)}: expected NAME=VALUE with NAME a variable name`);
    }
    return [name, assignment.slice(at + 1)];
  });
}

/**
 * A guest path as the remote shell should get it: relative paths start in the user's
 * home (where ssh starts), "~/" is that home (quoted words are never tilde-expanded),
 * and "./" keeps a name that starts with "-" from reading as an option.
 */
export function guestPath(path: string): string {
  if (path === "" || path === "~" || path === ".") return ".";
  if (path.startsWith("~/")) return `./${path.slice(2)}`;
  return path.startsWith("/") || path.startsWith("./") ? path : `./${path}`;
}

/**
 * One non-interactive login attempt; true when the guest accepted our key and host key.
 * No remote command: ssh is stopped the moment it reports "Authenticated to", which
 * comes after the host key check and the key login, and saves a shell start in the
 * guest (tens of ms under TCG). LogLevel must come first: ssh keeps the first value.
 * `connectTimeoutS` is the sshConnectTimeout setting.
 */
export async function probeSsh(target: SshTarget, run: Runner = defaultRun, connectTimeoutS = 3): Promise<boolean> {
  const destination = `${target.user}@${target.host}`;
  const argv = ["ssh", "-o", "LogLevel=VERBOSE", "-N", "-o", "BatchMode=yes", "-o", `ConnectTimeout=${connectTimeoutS}`, ...sshOptions(target), destination];
  const timeoutMs = (connectTimeoutS + 12) * 1000;
  const result = await run(argv, { allowFailure: true, timeoutMs, stopWhen: (stderr) => AUTHENTICATED.test(stderr) });
  return result.stopped === true || AUTHENTICATED.test(result.stderr);
}

const AUTHENTICATED = /^Authenticated to /m;

/** Runs ssh attached to our terminal and returns its exit status (the remote command's); an abort stops it. */
export function execSsh(target: SshTarget, command: string[], tty: boolean, signal?: AbortSignal): Promise<number> {
  return runAttached(sshArgv(target, command, tty ? ["-t"] : ["-T"]), signal, "Interrupted: ssh was stopped");
}
