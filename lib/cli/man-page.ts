import type { ArgSpec, VerbSpec } from "./_command-spec.ts";

/** One row of docs/exit-codes.md's table. */
export interface ExitRow {
  exit: number;
  class: string;
  /** The row's codes cell, Markdown: `E_X` (notes), … */
  codes: string;
}

/** One setting's variable, from lib/host/_config-schema.ts. */
export interface EnvRow {
  env: string;
  key: string;
  flag: string;
  expected: string;
  description?: string;
}

export interface ManPageInput {
  table: VerbSpec[];
  version: string;
  /** YYYY-MM-DD, for the title line. */
  date: string;
  exitRows: ExitRow[];
  /** What the exit table does not say, as a paragraph (ssh's remote status). */
  exitNote?: string;
  environment: EnvRow[];
  files: { path: string; what: string }[];
}

/** The rows `| exit | class | codes |` of docs/exit-codes.md, and the paragraph after the table. */
export function parseExitTable(markdown: string): { rows: ExitRow[]; note?: string } {
  const rows = [...markdown.matchAll(/^\| (\d+) \| (\w+) \| (.*) \|$/gm)].map((m) => ({ exit: Number(m[1]), class: m[2]!, codes: m[3]! }));
  const after = markdown.slice(markdown.lastIndexOf("\n|") + 1).split("\n").slice(1).join("\n").trim();
  return { rows, note: after || undefined };
}

/** roff text: backslashes and hyphens escaped, no line taken for a request, non-ASCII as \[uXXXX]. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    // groff reads its input as Latin-1 by default and warns on UTF-8 bytes: name the code point.
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`)
    .split("\n")
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join("\n");
}

/** Markdown `code` as bold, the rest escaped. */
function fromMarkdown(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith("`") ? `\\fB${roff(part.slice(1, -1))}\\fR` : roff(part)))
    .join("");
}

/** The man page, testcloud(1): one section per verb with its flags, exit status, environment. */
export function manPage(input: ManPageInput): string {
  const [root, ...verbs] = input.table;
  const lines = [
    `.TH TESTCLOUD 1 "${input.date}" "testcloud ${roff(input.version)}" "User Commands"`,
    // Error codes and flags must not be hyphenated, nor lines stretched between them.
    ".nh",
    ".ad l",
    ".SH NAME",
    `testcloud \\- ${roff(root!.description)}`,
    ".SH SYNOPSIS",
    ".B testcloud",
    "[\\fB\\-\\-json\\fR] [\\fB\\-\\-connect\\fR \\fIURI\\fR] [\\fB\\-\\-verbose\\fR] \\fIcommand\\fR [\\fIarguments\\fR]",
    ".SH DESCRIPTION",
    roff(root!.description) + ".",
    "Data goes to standard output, everything else to standard error. With",
    "\\fB\\-\\-json\\fR every command prints one JSON document, errors too.",
    "The global options may come before or after the command.",
    ".SH GLOBAL OPTIONS",
    ...root!.args.flatMap(option),
    ".SH COMMANDS",
    ...verbs.flatMap(verbSection),
    ".SH EXIT STATUS",
    ".TP",
    ".B 0",
    "Success.",
    ...input.exitRows.flatMap((row) => [".TP", `.B ${row.exit}`, `${row.class}: ${fromMarkdown(row.codes)}`]),
    ...(input.exitNote ? [".PP", fromMarkdown(input.exitNote)] : []),
    ".SH ENVIRONMENT",
    "Each setting is read from the configuration files, then from its variable, then from its flag.",
    ...input.environment.flatMap(envEntry),
    ".SH FILES",
    ...input.files.flatMap((f) => [".TP", `.I ${roff(f.path)}`, roff(f.what)]),
    ".SH SEE ALSO",
    ".BR virsh (1),",
    ".BR qemu\\-img (1)",
    "",
  ];
  return lines.join("\n");
}

function verbSection(verb: VerbSpec): string[] {
  const positionals = verb.args.filter((a) => a.positional).map((a) => ` \\fI${roff(a.name.toUpperCase())}\\fR`);
  const lines = [`.SS "${verb.path.map(roff).join(" ")}${positionals.join("")}"`, roff(verb.description) + "."];
  if (verb.aliases.length) lines.push(`Also called ${verb.aliases.map((a) => `\\fB${roff(a)}\\fR`).join(", ")}.`);
  if (verb.verbs.length) lines.push(`Its commands: ${verb.verbs.map((v) => `\\fB${roff(v)}\\fR`).join(", ")}.`);
  // Each verb takes the global options too; they are described once, above.
  const own = verb.path.length > 0 ? verb.args.filter((a) => !["json", "connect", "verbose"].includes(a.name)) : verb.args;
  return [...lines, ...own.flatMap(option)];
}

function option(arg: ArgSpec): string[] {
  if (arg.positional) return [".TP", `.I ${roff(arg.name.toUpperCase())}`, roff(arg.description)];
  const value = arg.value.kind === "none" ? "" : ` \\fI${roff(arg.valueHint ?? arg.name.toUpperCase().replace(/-/g, "_"))}\\fR`;
  const spellings = [`--${arg.name}`, ...arg.aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))].map((s) => `\\fB${roff(s)}\\fR`);
  const negation = arg.negatable ? `, \\fB${roff(`--no-${arg.name}`)}\\fR` : "";
  return [".TP", `${spellings.join(", ")}${value}${negation}`, roff(arg.description)];
}

function envEntry(row: EnvRow): string[] {
  const what = row.description ? `${roff(row.description)}. ` : "";
  return [".TP", `.B ${roff(row.env)}`, `${what}The \\fB${roff(row.key)}\\fR setting (flag \\fB${roff(row.flag)}\\fR): ${roff(row.expected)}.`];
}
