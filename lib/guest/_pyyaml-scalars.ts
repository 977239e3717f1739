/**
 * How PyYAML's SafeLoader (cloud-init's reader) resolves a plain scalar. The `yaml`
 * package's YAML 1.1 schema is close but not PyYAML: it reads `y`/`n` as booleans,
 * `08` and `1e3` as numbers and `-.5` as a float, where PyYAML reads strings. These
 * tags replace its bool, int, float and timestamp tags with PyYAML's own regular
 * expressions (resolver.py), in its order. Timestamps stay strings: PyYAML would build a
 * date, which no cloud-config key takes and which our renderer writes back as text anyway.
 */
import type { ScalarTag, Tags } from "yaml";

const BOOL = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

/** The value PyYAML's SafeLoader resolves a plain scalar to (its implicit resolvers, in its order). */
export function yaml11Value(plain: string): string | number | boolean | null {
  if (BOOL.test(plain)) return /^(?:yes|true|on)$/i.test(plain);
  if (FLOAT.test(plain)) return yaml11Float(plain.replace(/_/g, "").toLowerCase());
  if (INT.test(plain)) return yaml11Int(plain.replace(/_/g, ""));
  if (NULL.test(plain)) return null;
  return plain;
}

function yaml11Int(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  const s = text.replace(/^[-+]/, "");
  if (s === "0") return 0;
  if (s.startsWith("0b")) return sign * parseInt(s.slice(2), 2);
  if (s.startsWith("0x")) return sign * parseInt(s.slice(2), 16);
  if (s.startsWith("0")) return sign * parseInt(s, 8);
  return sign * sexagesimal(s);
}

function yaml11Float(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  const s = text.replace(/^[-+]/, "");
  if (s === ".inf") return sign * Infinity;
  if (s === ".nan") return NaN;
  return sign * sexagesimal(s);
}

/** "1:30" is 90: base 60 digits, the last of which may carry a fraction. */
function sexagesimal(text: string): number {
  return text.split(":").reduce((acc, digits) => acc * 60 + Number(digits), 0);
}

const scalar = (tag: string, test: RegExp, identify: (v: unknown) => boolean): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  default: true,
  test,
  identify,
  resolve: (text: string) => yaml11Value(text) as never,
});

/** For an explicit `!!int` or `!!float`, whose text PyYAML converts whatever the regular expressions say. */
const explicit = (tag: string, convert: (text: string) => number): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  resolve: (text: string, onError: (message: string) => void) => {
    const value = convert(text.replace(/_/g, "").toLowerCase());
    if (Number.isNaN(value) && !/^[-+]?\.nan$/i.test(text)) onError(`Not a YAML 1.1 ${tag}: ${JSON.stringify(text)}`);
    return value as never;
  },
});

const PYYAML_TAGS: ScalarTag[] = [
  scalar("bool", BOOL, (v) => typeof v === "boolean"),
  scalar("float", FLOAT, (v) => typeof v === "number" && !Number.isInteger(v)),
  scalar("int", INT, (v) => typeof v === "number" && Number.isInteger(v)),
  explicit("float", yaml11Float),
  explicit("int", yaml11Int),
  {
    // PyYAML resolves a plain "=" to the tag "value", which SafeLoader cannot construct.
    tag: "tag:yaml.org,2002:value",
    default: true,
    test: /^=$/,
    resolve: (_text: string, onError: (message: string) => void) => {
      onError('cloud-init\'s YAML reader (PyYAML) refuses a plain "=": quote it');
      return "=";
    },
  },
];

const REPLACED = new Set(["bool", "int", "float", "timestamp"].map((name) => `tag:yaml.org,2002:${name}`));

/** The `yaml` package's YAML 1.1 tags, with PyYAML's scalar resolution in place of its own. */
export function pyyamlTags(tags: Tags): Tags {
  return [...tags.filter((tag) => typeof tag === "string" || !REPLACED.has(tag.tag)), ...PYYAML_TAGS];
}
