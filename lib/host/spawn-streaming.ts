import { which } from "./run.ts";

/** A tool started by spawnStreaming: its stdout to read as it comes, and its end. */
export interface StreamingTool {
  stdout: ReadableStream<Uint8Array>;
  /** Resolves when the tool has exited and its stderr is read. */
  finished: Promise<{ exitCode: number; stderr: string }>;
}

export interface StreamingOptions {
  /** Fed to the tool's stdin as the tool reads it; none means stdin is closed. */
  stdin?: ReadableStream<Uint8Array>;
  /** Aborting kills the tool. */
  signal?: AbortSignal;
}

/**
 * Starts a tool whose data is too large for run()'s strings (file copies): argv only,
 * never a shell, the tool looked up like run() does, stderr drained meanwhile so the
 * tool never blocks on it. The caller must read `stdout` to its end.
 */
export function spawnStreaming(argv: string[], options: StreamingOptions = {}): StreamingTool {
  const [tool, ...rest] = argv;
  if (!tool) throw new Error("spawnStreaming: empty argv");
  const proc = Bun.spawn([which(tool), ...rest], {
    stdin: options.stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
    signal: options.signal,
  });
  const stderr = new Response(proc.stderr).text();
  return {
    stdout: proc.stdout,
    finished: Promise.all([proc.exited, stderr]).then(([exitCode, text]) => ({ exitCode, stderr: text })),
  };
}
