import type { LoadedConfig } from "../host/config.ts";
import { UsageError } from "../errors.ts";
import { dataDir, defaultUri, imagesDir } from "../host/paths.ts";

/** Flags every command accepts, before or after the verb. */
export interface Globals {
  json: boolean;
  /** --events: progress as JSON lines on stdout, the result (or error) as the last line; implies json. */
  events?: boolean;
  verbose: boolean;
  uri: string;
  /** The --connect value exactly as given, if it was. */
  connectFlag?: string;
  /** --host NAME: a host of the [hosts] setting (or "auto" for create), resolved to `uri` by main(). */
  hostFlag?: string;
  /** Layered configuration (files, TESTCLOUD_* variables, --connect); set by main(). */
  config?: LoadedConfig;
  dataDir: string;
  /** The image cache: the imageDir setting, by default <dataDir>/images. */
  imageDir: string;
  /** Aborted on Ctrl-C / SIGTERM so long operations can roll back. */
  signal: AbortSignal;
}

/** Splits global flags out of argv; the rest goes to the command parser. */
export function extractGlobals(argv: string[], signal: AbortSignal): { globals: Globals; rest: string[] } {
  const globals: Globals = { json: false, events: false, verbose: false, uri: defaultUri(), dataDir: dataDir(), imageDir: imagesDir(dataDir()), signal };
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (arg === "--json") globals.json = true;
    else if (arg === "--events") globals.json = globals.events = true;
    else if (arg === "--verbose") globals.verbose = true;
    else if (arg === "--connect" || arg === "-c") globals.uri = globals.connectFlag = connectUri(requireValue(argv, ++i, arg));
    else if (arg.startsWith("--connect=")) globals.uri = globals.connectFlag = connectUri(arg.slice("--connect=".length));
    else if (arg === "--host") globals.hostFlag = requireValue(argv, ++i, arg);
    else if (arg.startsWith("--host=")) globals.hostFlag = arg.slice("--host=".length);
    else rest.push(arg);
  }
  return { globals, rest: [...rest, ...argv.slice(i)] };
}

/**
 * The Python testcloud's `-c system` and `-c session` name libvirt's two local QEMU daemons;
 * scripts written for it keep working. Anything else is a URI.
 */
export function connectUri(value: string): string {
  return value === "system" || value === "session" ? `qemu:///${value}` : value;
}

function requireValue(argv: string[], index: number, flag: string): string {
  const value = argv[index];
  if (value === undefined || value.startsWith("-")) throw new UsageError(`Missing value for ${flag}`, { hint: "testcloud --help" });
  return value;
}
