import { describe, expect, test } from "bun:test";
import { parseFlags, wordsBeforeVerb } from "../../lib/cli/parse-flags.ts";
import { usageFailure } from "../_helpers.ts";

const defs = {
  image: { type: "positional", required: false },
  name: { type: "string", alias: "n" },
  "dry-run": { type: "boolean" },
  wait: { type: "string" },
  keep: { type: "boolean", alias: ["k"] },
  json: { type: "boolean" },
  for: { type: "enum", options: ["ssh", "cloud-init"], default: "ssh" },
};

const parse = (argv: string[], options = {}) => parseFlags("create", defs, argv, options);

describe("parseFlags reads", () => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ["declared flags", ["img", "--name", "x", "--dry-run"], { _: ["img"], image: "img", name: "x", "dry-run": true }],
    ["flag=value", ["img", "--name=x=y"], { name: "x=y" }],
    ["an empty value", ["--name="], { name: "" }],
    ["the camelCase spelling of a kebab flag", ["--dryRun"], { "dry-run": true }],
    ["--flag=false and --flag=true", ["--dry-run=false", "--keep=true"], { "dry-run": false, keep: true }],
    ["a negated boolean flag", ["--no-keep"], { keep: false }],
    ["a negated value flag as false", ["--no-wait"], { wait: false }],
    ["a short alias with its value", ["-n", "x"], { name: "x" }],
    ["a short alias with its value in the word", ["-nx"], { name: "x" }],
    ["short flags together, the last taking the next word", ["-kn", "x"], { keep: true, name: "x" }],
    ["a value that looks like a flag", ["--name", "--bogus"], { name: "--bogus" }],
    ["the last of a repeated value flag", ["--name", "a", "--name", "b"], { name: "b" }],
    ["words after -- as positionals, never as flags", ["img", "--", "--bogus", "-x"], { _: ["img", "--bogus", "-x"], image: "img" }],
    ["a lone dash as a positional (stdin)", ["-"], { image: "-" }],
    ["an enum's default when it is absent", [], { for: "ssh" }],
    ["an enum's value", ["--for", "cloud-init"], { for: "cloud-init" }],
  ];
  test.each(cases)("%s", (_label, argv, expected) => {
    expect(parse(argv)).toMatchObject(expected);
  });

  test("leaves an absent flag undefined", () => {
    expect(parse(["img"])).toEqual({ _: ["img"], image: "img", for: "ssh" });
  });

  test("gives a variadic command every positional word", () => {
    expect(parse(["a", "b", "c"], { variadic: true })).toMatchObject({ _: ["a", "b", "c"], image: "a" });
  });
});

describe("parseFlags refuses", () => {
  const refused: [string, string[], string][] = [
    ["a typo of a boolean flag", ["img", "--dryrun"], 'Unknown option: "--dryrun": did you mean "--dry-run"?'],
    ["a typo with a value", ["img", "--nam=x"], 'Unknown option: "--nam": did you mean "--name"?'],
    ["an unrelated flag", ["img", "--frobnicate"], 'Unknown option: "--frobnicate"'],
    ["an unknown short flag", ["img", "-x"], 'Unknown option: "-x"'],
    ["an unknown letter among short flags", ["img", "-kx"], 'Unknown option: "-kx"'],
    ["a negated unknown flag", ["img", "--no-such"], 'Unknown option: "--no-such"'],
    ["a negated flag with a value", ["--no-keep=1"], 'Unknown option: "--no-keep"'],
    ["an unknown flag after a value flag", ["img", "--name", "x", "--bogus"], 'Unknown option: "--bogus"'],
    ["a value flag at the end", ["img", "--name"], "Missing value for --name"],
    ["a short value flag at the end", ["img", "-kn"], "Missing value for -n"],
    ["a boolean flag's value other than true or false", ["--keep=yes"], 'Invalid value for --keep: "yes": expected true or false'],
    ["an enum value outside its options", ["--for", "http"], 'Invalid value for --for: "http": expected one of ssh, cloud-init'],
    ["a word beyond the positionals", ["img", "other"], 'Unexpected argument: "other": create takes one name'],
  ];
  test.each(refused)("%s as a usage error naming the verb's help", async (_label, argv, message) => {
    const error = await usageFailure(() => parse(argv));
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(2);
    expect(error.hint).toBe("testcloud create --help");
  });

  test("a missing required positional", async () => {
    const error = await usageFailure(() => parseFlags("remove", { name: { type: "positional", required: true } }, ["--"]));
    expect(error.message).toBe("Missing required positional argument: NAME");
  });

  test("a flag of the root command, with the root's help as hint", async () => {
    const error = await usageFailure(() => parseFlags("", defs, ["--bogus"]));
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
