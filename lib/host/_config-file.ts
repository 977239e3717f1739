// One config file's text as a settings layer (read-config-file.ts reads it, when safe).
import { UsageError } from "../errors.ts";
import { checkUrl, SCHEMA, type SettingKey, type Settings } from "./_config-schema.ts";
import { DEFAULT_BASE_URLS } from "./base-urls.ts";
import { hostTable } from "./hosts.ts";

/** "default", a config file's path, "env:TESTCLOUD_X" or "flag:--x". */
export type Origin = string;

/** Values from one source; every source is one layer. */
export interface Layer {
  origin: Origin;
  values: Partial<Settings>;
}

/** The settings `text`, the config file at `path`, holds; a bad key or value is a UsageError naming the file. */
export function fileLayer(path: string, text: string): Layer {
  let doc: Record<string, unknown>;
  try {
    doc = Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    const message = (error as Error).message.replace(/^TOML Parse error: /, "");
    const line = tomlErrorLine(text, (error as Error).message);
    throw configError(`Invalid config: "${path}": ${line ? `line ${line}: ` : ""}${message}`);
  }
  const values: Partial<Settings> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "baseUrls") values.baseUrls = baseUrlTable(value, path);
    else if (key === "hosts") values.hosts = hostTable(value, path);
    else if (Object.hasOwn(SCHEMA, key)) setChecked(values, key as SettingKey, value, `"${path}"`);
    else throw configError(`Invalid config: "${path}": unknown key "${key}"${suggest(key)}`);
  }
  return { origin: path, values };
}

function baseUrlTable(value: unknown, path: string): Record<string, string> {
  if (!isTable(value)) throw configError(`Invalid config: "${path}": "baseUrls" must be a table of host names to URLs`);
  const table: Record<string, string> = {};
  for (const [host, url] of flatten(value)) {
    if (!Object.hasOwn(DEFAULT_BASE_URLS, host)) {
      throw configError(`Invalid config: "${path}": unknown host "baseUrls.${host}": expected one of ${Object.keys(DEFAULT_BASE_URLS).join(", ")}`);
    }
    const checked = checkUrl(url);
    if (!checked) throw configError(`Invalid config: "${path}": "baseUrls.${host}" must be an http(s) URL: got ${JSON.stringify(url)}`);
    table[host] = checked;
  }
  return table;
}

/** TOML reads an unquoted `cloud.debian.org = …` as nested tables; join them back into the host name. */
function flatten(table: Record<string, unknown>, prefix = ""): [string, unknown][] {
  return Object.entries(table).flatMap(([key, value]) =>
    isTable(value) ? flatten(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value] as [string, unknown]],
  );
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function setChecked(values: Partial<Settings>, key: SettingKey, value: unknown, where: string): void {
  const spec = SCHEMA[key];
  const checked = spec.check(value);
  if (checked === undefined) {
    throw configError(`Invalid config: ${where}: "${key}" must be ${spec.expected}: got ${JSON.stringify(value)}`);
  }
  (values as Record<string, unknown>)[key] = checked;
}

/** "virt_type" or "data-dir" were probably meant as the camelCase key. */
function suggest(key: string): string {
  const norm = (k: string) => k.replace(/[-_]/g, "").toLowerCase();
  const match = [...Object.keys(SCHEMA), "baseUrls", "hosts"].find((k) => norm(k) === norm(key));
  return match ? `: did you mean "${match}"?` : "";
}

/**
 * Bun's TOML errors carry no position. The first whole-line prefix of the file
 * that fails with the same message is where the error is; a truncated
 * multi-line value fails with another message, so it is not blamed.
 */
function tomlErrorLine(text: string, message: string): number | undefined {
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    try {
      // With its newline, as in the file: "x =" at the very end fails differently.
      Bun.TOML.parse(lines.slice(0, n).join("\n") + "\n");
    } catch (error) {
      if ((error as Error).message === message) return n;
    }
  }
  return undefined;
}

export function configError(message: string): UsageError {
  return new UsageError(message, { code: "E_CONFIG" });
}
