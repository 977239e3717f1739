import { DependencyError, InterruptedError, ToolError } from "../errors.ts";

/** Debian package that provides each tool we spawn, for the "missing dependency" hint. */
const PACKAGES: Record<string, string> = {
  "qemu-img": "qemu-utils",
  virsh: "libvirt-clients",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
  xz: "xz-utils",
  gzip: "gzip",
};

export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: Record<string, string | undefined>;
  /** Return the result instead of throwing when the tool exits non-zero. */
  allowFailure?: boolean;
  /** Kill the tool after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Stop the tool (SIGTERM) as soon as its stderr so far satisfies this; the result says `stopped`. */
  stopWhen?: (stderr: string) => boolean;
}

export interface RunResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when `stopWhen` matched and the tool was stopped on purpose. */
  stopped?: boolean;
}

/** The signature every wrapper takes as its `run` collaborator, so tests can pass a fake. */
export type Runner = (argv: string[], options?: RunOptions) => Promise<RunResult>;

const resolved = new Map<string, string>();

/** Absolute path of `tool`, or a DependencyError naming the package to install. */
export function which(tool: string): string {
  const cached = resolved.get(tool);
  if (cached) return cached;
  // virsh and friends may live in sbin, which a non-root PATH often lacks.
  const path = Bun.which(tool) ?? Bun.which(tool, { PATH: "/usr/sbin:/sbin" });
  if (!path) {
    const pkg = PACKAGES[tool];
    throw new DependencyError(`Missing dependency: "${tool}" is not installed`, {
      code: "E_MISSING_TOOL",
      hint: pkg ? `apt-get install ${pkg}  (or dnf install ${pkg})` : undefined,
    });
  }
  resolved.set(tool, path);
  return path;
}

/** Runs a tool with an argv array (never a shell), draining stdout and stderr together. */
export const run: Runner = async (argv, options = {}) => {
  const [tool, ...rest] = argv;
  if (!tool) throw new Error("run: empty argv");
  const proc = Bun.spawn([which(tool), ...rest], {
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: options.env ? { ...process.env, ...options.env } : undefined,
    signal: options.signal,
    timeout: options.timeoutMs === undefined ? undefined : Math.ceil(options.timeoutMs),
  });
  let stopped = false;
  const stopWhen = options.stopWhen;
  const stderrText = stopWhen
    ? readUntil(proc.stderr, stopWhen, () => {
        stopped = true;
        proc.kill();
      })
    : new Response(proc.stderr).text();
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), stderrText, proc.exited]);
  const result = { argv, exitCode, stdout, stderr, ...(stopped ? { stopped } : {}) };
  if (exitCode !== 0 && !stopped && !options.allowFailure) throw new ToolError(argv, exitCode, stderr);
  return result;
};

/**
 * Runs a tool attached to our terminal (an interactive ssh, virsh console) and returns its
 * exit status. An abort (SIGTERM, or a Ctrl-C the terminal did not send it too) stops the
 * tool as well, and is an InterruptedError saying `interrupted`: left running, the tool
 * would outlive us holding the terminal and our caller's pipes.
 */
export async function runAttached(argv: string[], signal: AbortSignal | undefined, interrupted: string): Promise<number> {
  const [tool, ...rest] = argv;
  if (!tool) throw new Error("runAttached: empty argv");
  const proc = Bun.spawn([which(tool), ...rest], { stdio: ["inherit", "inherit", "inherit"], signal });
  const status = await proc.exited;
  if (signal?.aborted) throw new InterruptedError(interrupted);
  return status;
}

/** Reads a stream until `match` accepts the text so far (then calls `onMatch` and stops reading) or its end. */
async function readUntil(stream: ReadableStream<Uint8Array>, match: (text: string) => boolean, onMatch: () => void) {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (match(text)) {
      onMatch();
      break;
    }
  }
  return text + decoder.decode();
}
