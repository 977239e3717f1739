import { which } from "./run.ts";

/** A tool started by spawnStreaming: its stdout to read as it comes, and its end. */
export interface StreamingTool {
  /** The tool's stdout; already closed when it was given a file descriptor. */
  stdout: ReadableStream<Uint8Array>;
  /** Resolves when the tool has exited and its stderr is read. */
  finished: Promise<{ exitCode: number; stderr: string }>;
  kill(): void;
}

export interface StreamingOptions {
  /** The tool's stdin: a stream fed as the tool reads it, or an open file's descriptor; none: closed. */
  stdin?: ReadableStream<Uint8Array> | number;
  /** An open file's descriptor the tool writes its stdout to directly; none: a pipe to read. */
  stdout?: number;
  /** Aborting kills the tool. */
  signal?: AbortSignal;
}

/**
 * Starts a tool whose data is too large for run()'s strings (file copies): argv only,
 * never a shell, the tool looked up like run() does, stderr drained meanwhile so the
 * tool never blocks on it. Given file descriptors, the tool reads and writes the files
 * itself and no byte passes through this process. A piped stdout must be read to its end.
 */
export function spawnStreaming(argv: string[], options: StreamingOptions = {}): StreamingTool {
  const [tool, ...rest] = argv;
  if (!tool) throw new Error("spawnStreaming: empty argv");
  const proc = Bun.spawn([which(tool), ...rest], {
    stdin: options.stdin ?? "ignore",
    stdout: options.stdout ?? "pipe",
    stderr: "pipe",
    signal: options.signal,
  });
  const stderr = new Response(proc.stderr).text();
  const stdout = proc.stdout instanceof ReadableStream ? proc.stdout : new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  return {
    stdout,
    finished: Promise.all([proc.exited, stderr]).then(([exitCode, text]) => ({ exitCode, stderr: text })),
    kill: () => proc.kill(),
  };
}
