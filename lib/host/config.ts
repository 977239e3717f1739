/**
 * Layered configuration: built-in defaults < /etc/testcloud/config.toml <
 * $XDG_CONFIG_HOME/testcloud/config.toml < TESTCLOUD_* variables < flags.
 * Every effective value remembers where it came from, for `testcloud config`.
 * One camelCase name per setting in TOML, JSON and code; its variable is
 * TESTCLOUD_ + the name in SCREAMING_SNAKE_CASE, its flag the kebab-case name
 * (lib/host/_config-schema.ts). The [baseUrls] table's variable is
 * TESTCLOUD_MIRRORS, a JSON object; it has no flag.
 */
import { isAbsolute, join, resolve } from "./posix-path.ts";
import { defu } from "defu";
import { UsageError } from "../errors.ts";
import { DEFAULT_MAX_IMAGE_SIZE, SCHEMA, type SettingKey, type Settings } from "./_config-schema.ts";
import { fileLayer, setChecked, type Layer, type Origin } from "./_config-file.ts";
import { baseUrlsFromEnv, DEFAULT_BASE_URLS } from "./base-urls.ts";
import { nothingAt } from "./nothing-at.ts";
import { dataDir, homeDir, imagesDir } from "./paths.ts";

export type { Settings } from "./_config-schema.ts";
export type { Layer, Origin } from "./_config-file.ts";

/** Effective settings, the origin of each (table entries as "baseUrls.HOST"), and the layers they came from. */
export interface LoadedConfig {
  settings: Settings;
  origins: Record<string, Origin>;
  layers: Layer[];
  /** Config files skipped as unsafe, one line each, for the user to see. */
  warnings: string[];
}

/** Flag values as parseFlags gives them: typed, or text checked like a variable's. */
export type FlagValues = { [K in SettingKey]?: Settings[K] | string };

/** Injection points; each defaults to the real process. */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Config files, lowest precedence first; missing files are skipped. */
  files?: string[];
  flags?: FlagValues;
  uid?: number;
  cwd?: string;
}

/** Reads every layer and resolves the effective settings; a bad file, variable or flag is a UsageError. */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const layers = defaultLayers(env, uid);
  const warnings: string[] = [];
  for (const path of options.files ?? configFiles(env)) {
    // No file, the usual case, is known without loading node:fs (read-config-file.ts needs it).
    if (nothingAt(path)) continue;
    const { readConfigFile } = await import("./read-config-file.ts");
    const read = readConfigFile(path, uid);
    if (read && "unsafe" in read) warnings.push(`Ignoring config file "${path}": ${read.unsafe}`);
    else if (read) layers.push(fileLayer(path, read.text));
  }
  layers.push(...envLayers(env, cwd), ...flagLayers(options.flags ?? {}, cwd));
  return { ...resolveLayers(layers), warnings };
}

/** The config with flags of one command on top, e.g. create's --ram. */
export function applyFlags(config: LoadedConfig, flags: FlagValues, cwd = process.cwd()): LoadedConfig {
  return { ...resolveLayers([...config.layers, ...flagLayers(flags, cwd)]), warnings: config.warnings };
}

/** One row per setting for `testcloud config`: stable keys, values, origins. */
export function settingRows(config: LoadedConfig): { key: string; value: unknown; origin: Origin }[] {
  const scalars = (Object.keys(SCHEMA) as SettingKey[]).map((key) => ({
    key,
    value: config.settings[key],
    origin: config.origins[key] ?? "default",
  }));
  const urls = Object.keys(config.settings.baseUrls)
    .sort()
    .map((name) => {
      const key = `baseUrls.${name}`;
      return { key, value: config.settings.baseUrls[name]!, origin: config.origins[key] ?? "default" };
    });
  const hosts = Object.keys(config.settings.hosts)
    .sort()
    .map((name) => ({ key: `hosts.${name}`, value: config.settings.hosts[name]!, origin: config.origins[`hosts.${name}`] ?? "default" }));
  return [...scalars, ...urls, ...hosts];
}

/** The network create uses: "auto" is user-mode on a session URI, else the default libvirt network. */
export function effectiveNetwork(settings: Pick<Settings, "network" | "defaultNetwork" | "connect">): string {
  if (settings.network !== "auto") return settings.network;
  return settings.connect.endsWith("/session") ? "user" : settings.defaultNetwork;
}

/** The system file, then the user's ($XDG_CONFIG_HOME or ~/.config). */
export function configFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  // The XDG spec says a relative value must be ignored.
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homeDir(env), ".config");
  return ["/etc/testcloud/config.toml", join(xdg, "testcloud", "config.toml")];
}

function resolveLayers(layers: Layer[]): Omit<LoadedConfig, "warnings"> {
  // defu gives precedence to its first argument: the last layer. It would join lists
  // (--disk given in a file and on the command line): a list comes whole from one layer.
  const merged = defu({}, ...layers.map((l) => l.values).reverse()) as Partial<Settings>;
  for (const { values } of layers) {
    for (const [key, value] of Object.entries(values)) if (Array.isArray(value)) (merged as Record<string, unknown>)[key] = value;
  }
  const origins: Record<string, Origin> = {};
  for (const { origin, values } of layers) {
    for (const key of Object.keys(values)) {
      if (key !== "baseUrls" && key !== "hosts") origins[key] = origin;
      else for (const name of Object.keys(values[key] ?? {})) origins[`${key}.${name}`] = origin;
    }
  }
  const settings = merged as Settings;
  if (!settings.imageDir) {
    // Unset, the cache follows the data dir wherever that came from.
    settings.imageDir = imagesDir(settings.dataDir);
    origins.imageDir = "default";
  }
  return { settings, origins, layers };
}

function defaultLayers(env: NodeJS.ProcessEnv, uid: number): Layer[] {
  const values: Settings = {
    ram: 1024,
    vcpus: 2,
    diskSize: 0,
    timeout: 300,
    wait: "ssh",
    user: "cloud-user",
    network: "auto",
    defaultNetwork: "default",
    virtType: "auto",
    vnc: false,
    arch: "auto",
    machine: "auto",
    firmware: "auto",
    cpu: "auto",
    tpm: false,
    disk: [],
    nic: [],
    isolated: false,
    forward: [],
    share: [],
    connect: uid === 0 ? "qemu:///system" : "qemu:///session",
    dataDir: dataDir({ XDG_DATA_HOME: env.XDG_DATA_HOME, HOME: env.HOME }, uid),
    imageDir: "",
    offline: false,
    allowInsecureHttp: false,
    maxImageSize: DEFAULT_MAX_IMAGE_SIZE,
    sshConnectTimeout: 3,
    shutdownTimeout: 120,
    baseUrls: { ...DEFAULT_BASE_URLS },
    hosts: {},
    hostTimeout: 10,
    hostMemoryOvercommit: 100,
  };
  const { imageDir: _derived, ...rest } = values;
  const layers: Layer[] = [{ origin: "default", values: rest }];
  // libvirt's own variable is only a default: testcloud's files and variables beat it.
  if (env.LIBVIRT_DEFAULT_URI) layers.push(scalarLayer("connect", env.LIBVIRT_DEFAULT_URI, "env:LIBVIRT_DEFAULT_URI", "LIBVIRT_DEFAULT_URI"));
  return layers;
}

function envLayers(env: NodeJS.ProcessEnv, cwd: string): Layer[] {
  const layers: Layer[] = [];
  for (const [key, spec] of Object.entries(SCHEMA) as [SettingKey, (typeof SCHEMA)[SettingKey]][]) {
    const text = env[spec.env];
    // An empty variable counts as unset, as the shell idiom `VAR= cmd` intends.
    if (text === undefined || text === "") continue;
    layers.push(scalarLayer(key, pathFromText(key, text, cwd), `env:${spec.env}`, spec.env));
  }
  const mirrors = mirrorsLayer(env);
  if (mirrors) layers.push(mirrors);
  return layers;
}

/** baseUrls' variable: TESTCLOUD_MIRRORS, a JSON object of host → URL (it predates the config files, hence its name). */
function mirrorsLayer(env: NodeJS.ProcessEnv): Layer | null {
  let baseUrls: Record<string, string>;
  try {
    baseUrls = baseUrlsFromEnv(env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(error.message, { code: "E_CONFIG", hint: error.hint, cause: error });
  }
  return Object.keys(baseUrls).length ? { origin: "env:TESTCLOUD_MIRRORS", values: { baseUrls } } : null;
}

function flagLayers(flags: FlagValues, cwd: string): Layer[] {
  const layers: Layer[] = [];
  for (const [key, raw] of Object.entries(flags) as [SettingKey, unknown][]) {
    if (raw === undefined) continue;
    const spec = SCHEMA[key];
    if (!spec) throw new Error(`applyFlags: unknown setting "${key}"`);
    const value = typeof raw === "string" ? pathFromText(key, raw, cwd) : raw;
    const checked = spec.check(value);
    if (checked === undefined) {
      throw new UsageError(`Invalid ${spec.flag}: ${JSON.stringify(raw)}: must be ${spec.expected}`);
    }
    layers.push({ origin: `flag:${spec.flag}`, values: { [key]: checked } });
  }
  return layers;
}

/** Text from a variable or flag; relative paths resolve against the working directory, as a shell user expects. */
function pathFromText(key: SettingKey, text: string, cwd: string): unknown {
  if (key === "dataDir" || key === "imageDir") return resolve(cwd, text);
  return SCHEMA[key].fromText(text);
}

function scalarLayer(key: SettingKey, value: unknown, origin: Origin, where: string): Layer {
  const values: Partial<Settings> = {};
  setChecked(values, key, value, where);
  return { origin, values };
}
