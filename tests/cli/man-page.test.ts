import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VerbSpec } from "../../lib/cli/_command-spec.ts";
import { manPage, parseExitTable, roff } from "../../lib/cli/man-page.ts";

describe("roff", () => {
  test.each([
    ["hyphens become \\-, so options stay ASCII hyphens when copied", "--no-wait", "\\-\\-no\\-wait"],
    ["a backslash is printed, not read as an escape", "C:\\x", "C:\\ex"],
    ["a line starting with a dot is not a request", ".ssh/config", "\\&.ssh/config"],
    ["nor one starting with a quote", "'user' mode", "\\&'user' mode"],
    ["a dot inside a line stays", "a.b", "a.b"],
    ["non-ASCII is a named glyph: groff reads Latin-1 and warns on UTF-8", "SRC… → ü", "SRC\\[u2026] \\[u2192] \\[u00FC]"],
    ["outside the BMP too", "🙂", "\\[u1F642]"],
  ])("%s", (_label, text, expected) => {
    expect(roff(text)).toBe(expected);
  });
});

describe("parseExitTable", () => {
  test("reads each row of docs/exit-codes.md and the note after the table", () => {
    const { rows, note } = parseExitTable(readFileSync(join(import.meta.dir, "../../docs/exit-codes.md"), "utf8"));
    expect(rows.map((r) => r.exit)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 130]);
    expect(rows[1]).toMatchObject({ class: "UsageError" });
    expect(rows[1]!.codes).toContain("`E_USAGE`");
    expect(note).toContain("testcloud ssh NAME -- CMD");
  });
});

describe("manPage", () => {
  const table: VerbSpec[] = [
    { path: [], description: "Boot VMs", aliases: [], verbs: ["remove"], args: [] },
    {
      path: ["remove"],
      description: "Remove an instance",
      aliases: ["destroy"],
      verbs: [],
      args: [
        { name: "name", positional: true, aliases: [], negatable: false, description: "Instance name", required: true, value: { kind: "text" } },
        { name: "force", positional: false, aliases: ["f"], negatable: false, description: "Stop it first", required: false, value: { kind: "none" } },
      ],
    },
  ];
  const page = manPage({
    table,
    version: "1.2.3",
    date: "2026-12-05",
    exitRows: [{ exit: 2, class: "UsageError", codes: "`E_USAGE` (an unknown flag)" }],
    environment: [{ env: "TESTCLOUD_RAM", key: "ram", flag: "--ram", expected: "a whole number" }],
    files: [],
  });

  test("has a title line with the version and date, and no hyphenation", () => {
    expect(page.split("\n").slice(0, 2)).toEqual(['.TH TESTCLOUD 1 "2026-12-05" "testcloud 1.2.3" "User Commands"', ".nh"]);
  });

  test("gives each verb a section with its positionals, its aliases and its flags", () => {
    expect(page).toContain('.SS "remove \\fINAME\\fR"');
    expect(page).toContain("Also called \\fBdestroy\\fR.");
    expect(page).toContain("\\fB\\-\\-force\\fR, \\fB\\-f\\fR");
  });

  test("lists exit codes with their error codes in bold, and each setting's variable", () => {
    expect(page).toContain(".B 2\nUsageError: \\fBE_USAGE\\fR (an unknown flag)");
    expect(page).toContain(".B TESTCLOUD_RAM");
  });
});
