// Reads YAML the way cloud-init does: PyYAML's safe_load (YAML 1.1) over the UTF-8
// bytes of the file. Bun.YAML is YAML 1.2, which does not treat NEL, LS and PS as
// line breaks, so only PyYAML can show what a guest really reads.
import { requireTool } from "../_helpers.ts";

/** One document's outcome: the value PyYAML built, or its error message. */
export type PyYamlResult = { value: unknown } | { error: string };

// Non-string keys become "!type:repr" so a key read as a bool or null cannot pass for a
// string; inf and nan, which JSON cannot hold, become {"!float": repr}; dates {"!date": iso}.
const SCRIPT = `
import base64, datetime, json, math, sys, yaml
def plain(v):
    if isinstance(v, datetime.date):
        return {"!date": v.isoformat()}
    if isinstance(v, dict):
        return {k if isinstance(k, str) else "!%s:%r" % (type(k).__name__, k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return {"!float": repr(v)}
    return v
out = []
for doc in json.load(sys.stdin):
    try:
        out.append({"value": plain(yaml.safe_load(base64.b64decode(doc).decode("utf-8")))})
    except Exception as e:
        out.append({"error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout, ensure_ascii=True)
`;

const FLOATS: Record<string, number> = { inf: Infinity, "-inf": -Infinity, nan: NaN };

/** Parses each document with PyYAML in one python3 run; a missing python3-yaml fails, naming the package. */
export function pyyamlLoad(docs: string[]): PyYamlResult[] {
  // Debian's python3, which python3-yaml serves, not whatever python3 comes first on PATH.
  const python = Bun.which("python3", { PATH: "/usr/bin:/bin" }) ?? requireTool("python3", "python3-yaml");
  const input = JSON.stringify(docs.map((doc) => Buffer.from(doc, "utf8").toString("base64")));
  const proc = Bun.spawnSync([python, "-c", SCRIPT], { stdin: Buffer.from(input), stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) {
    throw new Error(`python3 with PyYAML failed (install the python3-yaml package): ${proc.stderr.toString().trim()}`);
  }
  return JSON.parse(proc.stdout.toString(), (_key, value) =>
    value !== null && typeof value === "object" && typeof value["!float"] === "string" ? FLOATS[value["!float"]] : value,
  ) as PyYamlResult[];
}
