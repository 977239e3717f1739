/**
 * Error classes of testcloud. Each carries a stable string `code` for scripts,
 * the process `exitCode` from the documented table (docs/exit-codes.md) and an
 * optional `hint`: the next command a user should run.
 */

/** Exit codes are a public contract: scripts branch on them. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  dependency: 3,
  notFound: 4,
  exists: 5,
  download: 6,
  tool: 7,
  timeout: 8,
  libvirt: 9,
  state: 10,
  interrupted: 130,
} as const;

export interface ErrorDetails {
  code?: string;
  hint?: string;
  /** Extra lines a human needs to diagnose the failure, e.g. the serial console's tail. */
  detail?: string[];
  cause?: unknown;
}

/** Base of every error testcloud reports on purpose. */
export class TestcloudError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint?: string;
  readonly detail?: string[];

  constructor(message: string, exitCode: number, code: string, details: ErrorDetails = {}) {
    super(message, { cause: details.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.code = details.code ?? code;
    this.hint = details.hint;
    this.detail = details.detail;
  }
}

/** A bad flag, name, size or other argument. */
export class UsageError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.usage, "E_USAGE", details);
  }
}

/** A host tool is missing, or the user lacks a permission. */
export class DependencyError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.dependency, "E_DEPENDENCY", details);
  }
}

/** An instance, image or file does not exist. */
export class NotFoundError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.notFound, "E_NOT_FOUND", details);
  }
}

/** An instance or domain of that name already exists. */
export class AlreadyExistsError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.exists, "E_EXISTS", details);
  }
}

/** An image could not be downloaded, read or verified. */
export class ImageError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.download, "E_IMAGE", details);
  }
}

/** An external tool ran and failed. */
export class ToolError extends TestcloudError {
  readonly argv: string[];
  readonly toolExitCode: number;
  readonly stderr: string;

  constructor(argv: string[], toolExitCode: number, stderr: string, details?: ErrorDetails) {
    const tail = lastLine(stderr);
    super(
      `Command failed: ${argv.join(" ")}: exit ${toolExitCode}${tail ? `: ${tail}` : ""}`,
      ExitCode.tool,
      "E_TOOL",
      details,
    );
    this.argv = argv;
    this.toolExitCode = toolExitCode;
    this.stderr = stderr;
  }
}

/** Waiting for something (boot, ssh, shutdown) took longer than allowed. */
export class TimeoutError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.timeout, "E_TIMEOUT", details);
  }
}

/** libvirt cannot be reached at the connection URI. */
export class LibvirtUnavailableError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.libvirt, "E_LIBVIRT_UNAVAILABLE", details);
  }
}

/** The instance is in the wrong state for the request (e.g. ssh to a stopped VM). */
export class StateError extends TestcloudError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.state, "E_STATE", details);
  }
}

/** The user pressed Ctrl-C (or the process got SIGTERM). */
export class InterruptedError extends TestcloudError {
  constructor(message = "Interrupted", details?: ErrorDetails) {
    super(message, ExitCode.interrupted, "E_INTERRUPTED", details);
  }
}

/** The last non-empty line of a tool's output, what its message names. */
export function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter((l) => l.trim() !== "");
  return (lines.at(-1) ?? "").trim();
}
