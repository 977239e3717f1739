/**
 * The settings testcloud reads from config files, TESTCLOUD_* variables and flags:
 * one row per key with its type check, its variable and its flag. Keys are the
 * same camelCase names in TOML, in `testcloud config --json` and in code.
 */
import { MACHINE_ROWS, type MachineSettings } from "./_machine-settings.ts";
import { absolutePath, bool, bytes, libvirtUri, matching, oneOf, wholeNumber } from "./_setting-kinds.ts";

/** Every effective setting, after layering: the machine's (lib/host/_machine-settings.ts) and these. */
export interface Settings extends MachineSettings {
  timeout: number;
  wait: "ssh" | "cloud-init";
  user: string;
  /** "auto" (user-mode on a session URI, else `defaultNetwork`), "user" or a libvirt network. */
  network: string;
  defaultNetwork: string;
  connect: string;
  dataDir: string;
  imageDir: string;
  /** Never touch the network for images: use the cache or fail at once (create, image pull, image resolve). */
  offline: boolean;
  /**
   * Fetch images, indexes and checksums over plain http from hosts other than loopback
   * (lib/image/_http-policy.ts); what comes that way is never reported as verified.
   */
  allowInsecureHttp: boolean;
  /** Bytes a compressed image may expand to at most (create, image pull): a small file can hold terabytes of zeros. */
  maxImageSize: number;
  sshConnectTimeout: number;
  shutdownTimeout: number;
  /** Where each upstream host of the image resolvers really is, by host name. */
  baseUrls: Record<string, string>;
  /** The fleet: libvirt hosts by name (`--host NAME`, `list --all-hosts`, `create --host auto`). */
  hosts: Record<string, string>;
  /** Seconds `list --all-hosts` waits for one host before it reports the host as down. */
  hostTimeout: number;
  /** `create --host auto` places on a host only while its memory in use plus the new instance's stays within this percentage of its total. */
  hostMemoryOvercommit: number;
}

/** Every setting but the baseUrls and hosts tables: what variables and flags can set. */
export type SettingKey = Exclude<keyof Settings, "baseUrls" | "hosts">;

/** How one setting is checked; `check` returns undefined for a value it rejects. */
export interface SettingSpec {
  /** What a valid value is, after "must be". */
  expected: string;
  env: string;
  flag: string;
  /** TOML already has types; text comes from variables and flags. */
  check: (value: unknown) => unknown;
  fromText: (text: string) => unknown;
}

const LIBVIRT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;

function row(key: string, flag: string | undefined, kind: Pick<SettingSpec, "expected" | "check" | "fromText">): SettingSpec {
  const env = `TESTCLOUD_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  return { ...kind, env, flag: flag ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` };
}

/** The schema: insertion order is the order `testcloud config` prints. */
export const SCHEMA: Record<SettingKey, SettingSpec> = {
  ...(Object.fromEntries(Object.entries(MACHINE_ROWS).map(([key, kind]) => [key, row(key, undefined, kind)])) as Record<keyof MachineSettings, SettingSpec>),
  timeout: row("timeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
  wait: row("wait", undefined, oneOf(["ssh", "cloud-init"])),
  user: row("user", undefined, matching(/^[a-z_][a-z0-9_-]{0,31}$/, "a Linux user name (lowercase letters, digits, \"_\" and \"-\", at most 32)")),
  network: row("network", undefined, matching(LIBVIRT_NAME, '"auto", "user" or a libvirt network name')),
  defaultNetwork: row("defaultNetwork", undefined, matching(LIBVIRT_NAME, "a libvirt network name")),
  connect: row("connect", undefined, libvirtUri),
  dataDir: row("dataDir", undefined, absolutePath),
  imageDir: row("imageDir", undefined, absolutePath),
  offline: row("offline", undefined, bool),
  allowInsecureHttp: row("allowInsecureHttp", undefined, bool),
  maxImageSize: row("maxImageSize", undefined, bytes),
  sshConnectTimeout: row("sshConnectTimeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
  shutdownTimeout: row("shutdownTimeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
  hostTimeout: row("hostTimeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
  hostMemoryOvercommit: row("hostMemoryOvercommit", undefined, wholeNumber(1, "a whole number of percent, at least 1")),
};

/** A host's name in [hosts]: a short word, so it reads the same in a flag, a table and JSON. "auto" is create's choice. */
export const HOST_NAME = /^(?!auto$)[a-z][a-z0-9-]{0,31}$/;

/** maxImageSize's default; lib/image/_decompress.ts applies it to a caller that gives none. */
export const DEFAULT_MAX_IMAGE_SIZE = 256 * 2 ** 30;

/** A base URL: the resolvers fetch over http(s) only. */
export function checkUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol) ? value : undefined;
  } catch {
    return undefined;
  }
}
