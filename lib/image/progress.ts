/** One step of getting an image into the cache, as reported to `onProgress`. */
export interface ImageProgress {
  phase: "download" | "copy" | "decompress";
  /** The URL or file:// path being read. */
  source: string;
  /** Bytes on disk so far, including `resumedFrom`. */
  bytes: number;
  total?: number;
  /** Bytes an earlier, interrupted download had already stored. */
  resumedFrom: number;
  /** The last event of this phase. */
  done: boolean;
}

interface Output {
  isTTY?: boolean;
  write(text: string): unknown;
}

const VERBS = { download: "Downloading", copy: "Copying", decompress: "Decompressing" } as const;
const DONE = { download: "Downloaded", copy: "Copied", decompress: "Decompressed" } as const;

/**
 * Renders progress on stderr: on a TTY a line redrawn ten times a second (bytes, rate,
 * ETA); otherwise (CI logs, pipes) one summary line per phase when it ends.
 */
export function progressPrinter(out: Output = process.stderr, now: () => number = () => performance.now()) {
  let started: number | undefined;
  let lastDraw = -Infinity;
  return (event: ImageProgress): void => {
    started ??= now();
    const elapsed = Math.max((now() - started) / 1000, 1e-3);
    const rate = (event.bytes - event.resumedFrom) / elapsed;
    const name = event.source.split("/").pop() || event.source;
    if (event.done) {
      const resumed = event.resumedFrom > 0 ? `, resumed at ${bytes(event.resumedFrom)}` : "";
      const line = `${DONE[event.phase]} ${name}: ${bytes(event.bytes)} in ${elapsed.toFixed(1)} s (${bytes(rate)}/s${resumed})`;
      out.write(out.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
      started = undefined;
      lastDraw = -Infinity;
      return;
    }
    if (!out.isTTY || now() - lastDraw < 100) return;
    lastDraw = now();
    const of = event.total ? ` / ${bytes(event.total)}  ${Math.floor((event.bytes / event.total) * 100)}%` : "";
    const eta = event.total && rate > 0 ? `  ETA ${duration((event.total - event.bytes) / rate)}` : "";
    out.write(`\r\x1b[K${VERBS[event.phase]} ${name}  ${bytes(event.bytes)}${of}  ${bytes(rate)}/s${eta}`);
  };
}

/** 1536 → "1.5 KiB". */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[i]}`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
