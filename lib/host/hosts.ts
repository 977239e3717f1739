import { UsageError } from "../errors.ts";
import { HOST_NAME, type Settings } from "./_config-schema.ts";
import { uriProblem } from "./check-uri.ts";

/** [hosts]: name = libvirt URI; names are short words, URIs pass the same check as --connect. */
export function hostTable(value: unknown, path: string): Record<string, string> {
  if (!(typeof value === "object" && value !== null && !Array.isArray(value))) throw new UsageError(`Invalid config: "${path}": "hosts" must be a table of host names to libvirt URIs`, { code: "E_CONFIG" });
  const table: Record<string, string> = {};
  for (const [name, uri] of Object.entries(value as Record<string, unknown>)) {
    if (!HOST_NAME.test(name)) {
      throw new UsageError(`Invalid config: "${path}": host name ${JSON.stringify(name)} must be lowercase letters, digits and "-", starting with a letter, at most 32, not "auto"`, { code: "E_CONFIG" });
    }
    const problem = typeof uri === "string" ? uriProblem(uri) : "not a string";
    if (problem) throw new UsageError(`Invalid config: "${path}": "hosts.${name}": ${problem}`, { code: "E_CONFIG" });
    table[name] = uri as string;
  }
  return table;
}


/** The URI of a host named in [hosts]; a name that is not there is a usage error naming the known ones. */
export function hostUri(settings: Pick<Settings, "hosts">, name: string): string {
  const uri = Object.hasOwn(settings.hosts, name) ? settings.hosts[name] : undefined;
  if (uri !== undefined) return uri;
  const known = Object.keys(settings.hosts).sort();
  throw new UsageError(`Unknown host: ${JSON.stringify(name)}${known.length ? `: expected one of ${known.join(", ")}` : ": no [hosts] in the configuration"}`, {
    code: "E_CONFIG",
    hint: 'name it in config.toml: [hosts] NAME = "qemu+ssh://root@HOST/system"',
  });
}
