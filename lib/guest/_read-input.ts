import { stat } from "node:fs/promises";
import { resolve } from "../host/posix-path.ts";
import { NotFoundError, UsageError } from "../errors.ts";

/** The NoCloud seed (and an Ignition config) may hold at most this much. */
export const SEED_LIMIT = 16 * 2 ** 20;

/** A kind of file the user hands to provisioning, with its error codes. */
export interface InputKind {
  /** As in messages: "user-data", "network-config", "SSH key", "Ignition config", "password". */
  label: string;
  notFound: string;
  invalid: string;
}

/** The files a user can hand to provisioning. */
export const INPUTS = {
  userData: { label: "user-data", notFound: "E_USER_DATA_NOT_FOUND", invalid: "E_USER_DATA_INVALID" },
  networkConfig: { label: "network-config", notFound: "E_NETWORK_CONFIG_NOT_FOUND", invalid: "E_NETWORK_CONFIG_INVALID" },
  sshKey: { label: "SSH key", notFound: "E_SSH_KEY_NOT_FOUND", invalid: "E_SSH_KEY_INVALID" },
  ignition: { label: "Ignition config", notFound: "E_IGNITION_NOT_FOUND", invalid: "E_IGNITION_INVALID" },
  password: { label: "password", notFound: "E_PASSWORD_FILE_NOT_FOUND", invalid: "E_PASSWORD_INVALID" },
} satisfies Record<string, InputKind>;

/** Reads a user's file as UTF-8 text: missing, unreadable, too large, compressed or binary are errors naming it. */
export async function readInput(file: string, kind: InputKind): Promise<{ path: string; text: string }> {
  const path = resolve(file);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw cannotRead(path, kind, error);
  });
  if (!info.isFile()) throw new NotFoundError(`Not a file: ${kind.label} "${path}"`, { code: kind.notFound });
  if (info.size > SEED_LIMIT) throw tooLarge(`${kind.label} "${path}"`, info.size);
  let bytes: Uint8Array;
  try {
    bytes = await Bun.file(path).bytes();
  } catch (error) {
    throw cannotRead(path, kind, error as NodeJS.ErrnoException);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) throw invalidInput(path, kind, "it is gzip-compressed: decompress it first");
  try {
    return { path, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    throw invalidInput(path, kind, "it is not UTF-8 text");
  }
}

/** An error for a file's content, with the kind's code. */
export function invalidInput(path: string, kind: InputKind, detail: string, hint?: string): UsageError {
  return new UsageError(`Invalid ${kind.label}: "${path}": ${detail}`, { code: kind.invalid, hint });
}

/** Seed contents over SEED_LIMIT. */
export function tooLarge(what: string, bytes: number): UsageError {
  return new UsageError(`Too large for the seed: ${what}: ${bytes} bytes, at most ${SEED_LIMIT}`, { code: "E_SEED_TOO_LARGE" });
}

function cannotRead(path: string, kind: InputKind, error: NodeJS.ErrnoException): NotFoundError {
  if (error.code === "ENOENT" || error.code === "ENOTDIR") {
    const label = kind.label[0]!.toUpperCase() + kind.label.slice(1);
    return new NotFoundError(`${label} file not found: "${path}"`, { code: kind.notFound });
  }
  const reason = error.code === "EACCES" ? "permission denied" : error.message;
  return new NotFoundError(`Cannot read ${kind.label} file: "${path}": ${reason}`, { code: kind.notFound });
}
