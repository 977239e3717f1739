/**
 * The settings testcloud reads from config files, TESTCLOUD_* variables and flags:
 * one row per key with its type check, its variable and its flag. Keys are the
 * same camelCase names in TOML, in `testcloud config --json` and in code.
 */
import { isAbsolute } from "node:path";
import { DEFAULT_BASE_URLS } from "../image/resolve/resolve-shortcut.ts";
import { uriProblem } from "./check-uri.ts";
import { parseSize } from "./parse-size.ts";

/** Every effective setting, after layering. */
export interface Settings {
  ram: number;
  vcpus: number;
  /** Bytes; 0 keeps the image's own virtual size. */
  diskSize: number;
  timeout: number;
  wait: "ssh" | "cloud-init";
  user: string;
  /** "auto" (user-mode on a session URI, else `defaultNetwork`), "user" or a libvirt network. */
  network: string;
  defaultNetwork: string;
  virtType: "auto" | "kvm" | "qemu";
  vnc: boolean;
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
}

/** Every setting but the baseUrls table: what variables and flags can set. */
export type ScalarKey = Exclude<keyof Settings, "baseUrls">;

/** How one scalar setting is checked; `check` returns undefined for a value it rejects. */
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

const text = (value: string) => value;
const wholeNumber = (min: number, expected: string) => ({
  expected,
  check: (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= min ? v : undefined),
  fromText: (t: string) => (/^\d+$/.test(t.trim()) ? Number(t) : t),
});
const oneOf = (values: string[]) => ({
  expected: `one of ${values.map((v) => `"${v}"`).join(", ")}`,
  check: (v: unknown) => (values.includes(v as string) ? v : undefined),
  fromText: text,
});
const matching = (pattern: RegExp, expected: string) => ({
  expected,
  check: (v: unknown) => (typeof v === "string" && pattern.test(v) ? v : undefined),
  fromText: text,
});
const absolutePath = {
  expected: "an absolute path",
  check: (v: unknown) => (typeof v === "string" && isAbsolute(v) ? v : undefined),
  fromText: text,
};
const libvirtUri = {
  expected: 'a libvirt URI such as "qemu:///system" (no "ext" transport, no command= or netcat= parameters)',
  check: (v: unknown) => (typeof v === "string" && !/\s/.test(v) && uriProblem(v) === null ? v : undefined),
  fromText: text,
};
const bool = {
  expected: "true or false",
  check: (v: unknown) => (typeof v === "boolean" ? v : undefined),
  fromText: (t: string) => ({ true: true, yes: true, "1": true, false: false, no: false, "0": false })[t.trim().toLowerCase()] ?? t,
};
const bytes = {
  expected: 'a size such as "256G" or "512M"',
  check: (v: unknown) => {
    if (typeof v !== "string") return undefined;
    try {
      return parseSize(v, "size");
    } catch {
      return undefined;
    }
  },
  fromText: text,
};
const size = {
  expected: 'a size such as "20G" or "512M", or "0" for the image\'s own size',
  check: (v: unknown) => (typeof v === "string" && v.trim() === "0" ? 0 : bytes.check(v)),
  fromText: text,
};

function row(key: string, flag: string | undefined, kind: Pick<SettingSpec, "expected" | "check" | "fromText">): SettingSpec {
  const env = `TESTCLOUD_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  return { ...kind, env, flag: flag ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` };
}

/** The schema: insertion order is the order `testcloud config` prints. */
export const SCHEMA: Record<ScalarKey, SettingSpec> = {
  ram: row("ram", undefined, wholeNumber(64, "a whole number of MiB, at least 64")),
  vcpus: row("vcpus", undefined, wholeNumber(1, "a whole number, at least 1")),
  diskSize: row("diskSize", undefined, size),
  timeout: row("timeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
  wait: row("wait", undefined, oneOf(["ssh", "cloud-init"])),
  user: row("user", undefined, matching(/^[a-z_][a-z0-9_-]{0,31}$/, "a Linux user name (lowercase letters, digits, \"_\" and \"-\", at most 32)")),
  network: row("network", undefined, matching(LIBVIRT_NAME, '"auto", "user" or a libvirt network name')),
  defaultNetwork: row("defaultNetwork", undefined, matching(LIBVIRT_NAME, "a libvirt network name")),
  virtType: row("virtType", undefined, oneOf(["auto", "kvm", "qemu"])),
  vnc: row("vnc", undefined, bool),
  connect: row("connect", undefined, libvirtUri),
  dataDir: row("dataDir", undefined, absolutePath),
  imageDir: row("imageDir", undefined, absolutePath),
  offline: row("offline", undefined, bool),
  allowInsecureHttp: row("allowInsecureHttp", undefined, bool),
  maxImageSize: row("maxImageSize", undefined, bytes),
  sshConnectTimeout: row("sshConnectTimeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
  shutdownTimeout: row("shutdownTimeout", undefined, wholeNumber(1, "a whole number of seconds, at least 1")),
};

/**
 * Upstream hosts the image resolvers read, and where each really is: a mirror or
 * a test server replaces one host. Mirrors DEFAULT_BASE_URLS of
 * lib/image/resolve/resolve-shortcut.ts (a test keeps the two equal).
 */
export const BASE_URLS: Record<string, string> = DEFAULT_BASE_URLS;

/** A base URL: the resolvers fetch over http(s) only. */
export function checkUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol) ? value : undefined;
  } catch {
    return undefined;
  }
}
