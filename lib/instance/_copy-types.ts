import type { SshTarget } from "../host/ssh.ts";

/** Progress of one source, for a progress line. */
export interface CopyProgress {
  /** The source as the user wrote it. */
  source: string;
  bytes: number;
  total: number;
  done: boolean;
}

/** One source copied. Host paths are absolute; guest paths are as written (relative ones are in the user's home). */
export interface CopiedFile {
  source: string;
  destination: string;
  kind: "file" | "directory";
  /** Bytes of the file, or of the regular files in the directory. */
  bytes: number;
}

/** What a direction needs from its caller. */
export interface CopyIo {
  /** Resolves the instance to reach; called after the host side is checked. */
  target: () => Promise<SshTarget>;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
}
