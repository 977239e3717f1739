// The schemas themselves: they load, they are strict, and they reject what they must.
import { describe, expect, test } from "bun:test";
import type { CommandDef } from "citty";
import { commands } from "../commands/registry.ts";
import { assertSchema, schemaFor, SCHEMAS } from "./_schema.ts";

// Hidden verbs that only the completion scripts call: their output is not a contract.
const INTERNAL = new Set(["__complete"]);

describe("docs/schema/v1", () => {
  test("has a schema for the error document and every verb's --json output", () => {
    for (const name of ["error", "version", "create", "create-dry-run", "list", "info", "ip", "ssh", "ssh-config", "console", "wait", "power", "shutdown", "start", "remove", "clean", "forward", "snapshot", "snapshot-list", "snapshot-revert", "config", "image-list", "image-pull", "image-remove", "image-prune", "image-resolve"]) {
      expect(SCHEMAS).toContain(name);
    }
  });

  test("every verb of the registry, and every verb of a group, has the schema of its --json output", async () => {
    const missing: string[] = [];
    for (const [verb, load] of Object.entries(commands)) {
      if (INTERNAL.has(verb)) continue;
      const def = (await load()) as CommandDef;
      const subs = Object.keys((def.subCommands ?? {}) as Record<string, unknown>);
      for (const words of subs.length ? subs.map((sub) => [verb, sub]) : [[verb]]) {
        if (!schemaFor([...words, "x"])) missing.push(words.join(" "));
      }
    }
    expect(missing).toEqual([]);
  });

  test.each(SCHEMAS.filter((s) => s !== "defs"))("%s compiles in strict mode", (name) => {
    expect(() => assertSchema(name, Symbol("not JSON"))).toThrow("does not match");
  });

  test("the error document: code, message, exitCode, hint, detail; nothing else", () => {
    assertSchema("error", { error: { code: "E_USAGE", message: "m", exitCode: 2, hint: null, detail: [] } });
    expect(() => assertSchema("error", { error: { code: "E_USAGE", message: "m", exitCode: 2, hint: null } })).toThrow("detail");
    expect(() => assertSchema("error", { error: { code: "usage", message: "m", exitCode: 2, hint: null, detail: [] } })).toThrow("pattern");
    expect(() => assertSchema("error", { error: { code: "E_USAGE", message: "m", exitCode: 2, hint: null, detail: [], extra: 1 } })).toThrow("additional");
  });

  test("an instance with a field the contract does not name is refused: new fields are a schema change", () => {
    expect(() => assertSchema("list", [{ name: "x", surprise: true }])).toThrow();
  });

  const lines: [string[], string | null][] = [
    [["create", "img", "--name", "x"], "create"],
    [["create", "img", "--dry-run"], "create-dry-run"],
    [["--connect", "qemu:///system", "list"], "list"],
    [["image", "pull", "fedora:41"], "image-pull"],
    [["snapshot", "create", "vm", "s1"], "snapshot"],
    [["reboot", "vm"], "start"],
    [["stop", "vm"], "power"],
    [["ssh", "vm", "--", "ls", "list"], "ssh"],
    [["--version"], "version"],
    [["frobnicate"], null],
  ];
  test.each(lines)("testcloud %p answers to %p", (args, schema) => {
    expect(schemaFor(args)).toBe(schema);
  });
});
