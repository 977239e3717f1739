import { describe, expect, test } from "bun:test";
import type { ArgsDef, CommandDef, CommandMeta } from "citty";
import { commands, type CommandName } from "../../commands/registry.ts";

/** citty lets meta and args be values, promises or functions returning either. */
async function resolve<T>(value: T | Promise<T> | (() => T | Promise<T>) | undefined): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

// Keyed by the registry: a new command without a row here fails the type check.
const cases: Record<CommandName, { positionals: string[] }> = {
  create: { positionals: ["image"] },
  list: { positionals: [] },
  info: { positionals: ["name"] },
  ip: { positionals: ["name"] },
  ssh: { positionals: ["name"] },
  cp: { positionals: ["paths"] },
  "ssh-config": { positionals: ["name"] },
  forward: { positionals: ["name"] },
  console: { positionals: ["name"] },
  wait: { positionals: ["name"] },
  start: { positionals: ["name"] },
  stop: { positionals: ["name"] },
  shutdown: { positionals: ["name"] },
  reboot: { positionals: ["name"] },
  reset: { positionals: ["name"] },
  remove: { positionals: ["name"] },
  clean: { positionals: [] },
  snapshot: { positionals: [] },
  template: { positionals: [] },
  image: { positionals: [] },
  config: { positionals: [] },
  completion: { positionals: ["shell"] },
  __complete: { positionals: ["source"] },
};

describe("command registry", () => {
  test("has a test case for every command and no case without a command", () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(commands).sort());
  });

  for (const [name, expected] of Object.entries(cases) as [CommandName, (typeof cases)[CommandName]][]) {
    describe(name, () => {
      let command: CommandDef;
      let meta: CommandMeta | undefined;
      let args: ArgsDef;

      test("loads lazily into a command definition", async () => {
        command = await commands[name]();
        meta = await resolve(command.meta);
        args = (await resolve(command.args)) ?? {};
        expect(typeof command.run).toBe("function");
      });

      test("is named after its registry key", () => {
        expect(meta?.name).toBe(name);
      });

      test("has a description", () => {
        expect(meta?.description?.trim().length ?? 0).toBeGreaterThan(10);
      });

      test("accepts the global --json, --connect and --verbose flags", () => {
        expect(args.json).toMatchObject({ type: "boolean" });
        expect(args.connect).toMatchObject({ type: "string", alias: "c" });
        expect(args.verbose).toMatchObject({ type: "boolean" });
      });

      test("takes the expected positional arguments", () => {
        const positionals = Object.entries(args)
          .filter(([, def]) => def.type === "positional")
          .map(([key]) => key);
        expect(positionals).toEqual(expected.positionals);
      });

      test("describes every argument", () => {
        for (const [key, def] of Object.entries(args)) {
          expect(`${key}: ${def.description ?? ""}`).toMatch(/^\S+: \S/);
        }
      });
    });
  }
});
