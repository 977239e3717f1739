import { describe, expect, test } from "bun:test";
import { rejectUnknownFlags, wordsBeforeVerb } from "../../lib/cli/unknown-flags.ts";
import { usageFailure } from "../_helpers.ts";

const defs = {
  image: { type: "positional" },
  name: { type: "string", alias: "n" },
  "dry-run": { type: "boolean" },
  wait: { type: "string" },
  keep: { type: "boolean", alias: ["k"] },
  json: { type: "boolean" },
};

describe("rejectUnknownFlags", () => {
  const accepted: [string, string[]][] = [
    ["declared flags", ["img", "--name", "x", "--dry-run"]],
    ["flag=value", ["img", "--name=x"]],
    ["camelCase spelling of a kebab flag", ["img", "--dryRun"]],
    ["a negated flag", ["img", "--no-wait"]],
    ["a short alias", ["img", "-n", "x"]],
    ["combined short aliases", ["img", "-kn", "x"]],
    ["a value that looks like a flag", ["img", "--name", "--bogus"]],
    ["anything after --", ["img", "--", "--bogus", "-x"]],
    ["a lone dash (stdin)", ["img", "-"]],
  ];
  test.each(accepted)("accepts %s", (_label, argv) => {
    expect(() => rejectUnknownFlags("create", defs, argv)).not.toThrow();
  });

  const refused: [string, string[], string][] = [
    ["a typo of a boolean flag", ["img", "--dryrun"], 'Unknown option: "--dryrun": did you mean "--dry-run"?'],
    ["a typo with a value", ["img", "--nam=x"], 'Unknown option: "--nam": did you mean "--name"?'],
    ["an unrelated flag", ["img", "--frobnicate"], 'Unknown option: "--frobnicate"'],
    ["an unknown short flag", ["img", "-x"], 'Unknown option: "-x"'],
    ["an unknown letter among short flags", ["img", "-kx"], 'Unknown option: "-kx"'],
    ["a negated unknown flag", ["img", "--no-such"], 'Unknown option: "--no-such"'],
    ["an unknown flag after a value flag", ["img", "--name", "x", "--bogus"], 'Unknown option: "--bogus"'],
  ];
  test.each(refused)("refuses %s as a usage error", async (_label, argv, message) => {
    const error = await usageFailure(() => rejectUnknownFlags("create", defs, argv));
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(2);
    expect(error.hint).toBe("testcloud create --help");
  });

  test("a flag of the root command gets the root's help as hint", async () => {
    const error = await usageFailure(() => rejectUnknownFlags("", defs, ["--bogus"]));
    expect(error.hint).toBe("testcloud --help");
  });
});

describe("wordsBeforeVerb", () => {
  test("stops at the first verb, or keeps everything without one", () => {
    const verbs = { list: 1, pull: 1 };
    expect(wordsBeforeVerb(["--x", "list", "--y"], verbs)).toEqual(["--x"]);
    expect(wordsBeforeVerb(["--x", "nope"], verbs)).toEqual(["--x", "nope"]);
  });
});
