// The JSON contract (docs/schema/v1): every --json document the e2e tests parse is checked
// against the schema of the command that printed it (tests/e2e/_env.ts does it in cli()).
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { aliases } from "../commands/registry.ts";

const DIR = join(import.meta.dir, "..", "docs", "schema", "v1");
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
for (const file of readdirSync(DIR).filter((f) => f.endsWith(".schema.json"))) {
  ajv.addSchema(JSON.parse(readFileSync(join(DIR, file), "utf8")), file);
}

/** The schema names (file names without .schema.json). */
export const SCHEMAS = readdirSync(DIR).filter((f) => f.endsWith(".schema.json")).map((f) => f.slice(0, -".schema.json".length));

/** Throws, naming every violation, unless `document` matches the schema. */
export function assertSchema(name: string, document: unknown): void {
  const validate = ajv.getSchema(`${name}.schema.json`);
  if (!validate) throw new Error(`no schema "${name}" in docs/schema/v1`);
  if (!validate(document)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`);
    throw new Error(`--json output does not match docs/schema/v1/${name}.schema.json:\n  ${errors.join("\n  ")}`);
  }
}

// Which schema a command line's output answers to: the verb (and group verb), with a few
// verbs sharing one shape.
const BY_VERB: Record<string, string> = {
  stop: "power", reset: "start", reboot: "start", "snapshot create": "snapshot", "snapshot remove": "snapshot",
};

/** The schema of what `testcloud ARGS --json` prints when it succeeds, or null when it prints none. */
export function schemaFor(args: string[]): string | null {
  const words = args.slice(0, args.includes("--") ? args.indexOf("--") : args.length);
  if (words.includes("--version") || words.includes("-V")) return "version";
  const verbs = words.filter((w, i) => !w.startsWith("-") && !VALUE_FLAGS.has(words[i - 1] ?? ""));
  const [word, sub] = verbs;
  if (!word) return null;
  // destroy and force-off print what remove and stop print.
  const verb: string = aliases[word as keyof typeof aliases] ?? word;
  if (verb === "create") return words.includes("--dry-run") ? "create-dry-run" : "create";
  if (verb === "list" && words.includes("--all-hosts")) return "list-all-hosts";
  const key = verb === "image" || verb === "snapshot" || verb === "template" ? `${verb} ${sub}` : verb;
  const name = BY_VERB[key] ?? key.replace(" ", "-");
  return SCHEMAS.includes(name) ? name : null;
}

// Flags of the global set whose next word is their value, not a verb.
const VALUE_FLAGS = new Set(["--connect", "-c", "--host"]);
