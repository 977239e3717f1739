/**
 * dist/testcloud.1, written by the build from the command definitions: it renders without
 * warnings, names every verb and every flag `--help` shows, and scripts/install.sh puts it
 * where man finds it.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CommandDef, CommandMeta } from "citty";
import { commands } from "../../commands/registry.ts";
import { requireTool, scratchDir } from "../_helpers.ts";
import { manPageText } from "../../scripts/man-page.ts";
import { BIN, cli } from "./_env.ts";

const ROOT = resolve(import.meta.dir, "../..");
const PAGE = join(ROOT, "dist", "testcloud.1");

function run(argv: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync(argv, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** The page as man shows it, in plain ASCII (no bold, "-" for \-), 200 columns so nothing wraps mid-flag. */
const rendered = () => run([requireTool("groff", "groff-base"), "-man", "-Tascii", "-P-cbou", "-rLL=200n", PAGE]).stdout;

/** Every verb path and the flags its --help lists. */
async function helpFlags(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const walk = async (path: string[], command: CommandDef) => {
    const meta = (await (typeof command.meta === "function" ? command.meta() : command.meta)) as CommandMeta;
    if (meta.hidden) return;
    const help = (await cli([...path, "--help"])).stdout.replace(/\x1b\[[0-9;]*m/g, "");
    const options = help.slice(help.indexOf("OPTIONS"), help.includes("COMMANDS") ? help.indexOf("COMMANDS") : undefined);
    found.set(path.join(" "), [...options.matchAll(/(?:^|[\s,])(--?[A-Za-z][\w-]*)/gm)].map((m) => m[1]!));
    const subs = (await (typeof command.subCommands === "function" ? command.subCommands() : command.subCommands)) ?? {};
    for (const [name, sub] of Object.entries(subs)) await walk([...path, name], await (sub as () => Promise<CommandDef>)());
  };
  for (const [name, load] of Object.entries(commands)) await walk([name], await load());
  return found;
}

describe("the man page", () => {
  test("the build wrote it from the command definitions as they are now", async () => {
    const built = readFileSync(PAGE, "utf8");
    const fresh = await manPageText("DATE");
    const undated = (page: string) => page.replace(/^\.TH .*$/m, "");
    expect(undated(built)).toBe(undated(fresh));
  });

  test("renders without warnings, with groff -ww and with man -l", () => {
    const groff = run([requireTool("groff", "groff-base"), "-man", "-Tutf8", "-ww", "-z", PAGE]);
    expect([groff.exitCode, groff.stderr]).toEqual([0, ""]);
    const man = run([requireTool("man", "man-db"), "--warnings", "-l", PAGE], { MANWIDTH: "80", MANPAGER: "cat", PAGER: "cat" });
    expect([man.exitCode, man.stderr]).toEqual([0, ""]);
    expect(man.stdout).toContain("EXIT STATUS");
  });

  test("names every verb, each in its own section, and every flag --help shows for it", async () => {
    const page = rendered();
    const sections = page.split(/\n(?=   \S)/); // .SS headings are indented three spaces
    for (const [verb, flags] of await helpFlags()) {
      // A heading is the verb and its positionals in capitals: "   image pull REF".
      const section = sections.find((s) => s.split("\n")[0]!.trim().replace(/( [A-Z]+)+$/, "") === verb);
      expect([verb, section === undefined]).toEqual([verb, false]);
      for (const flag of flags) expect([verb, flag, page.includes(flag)]).toEqual([verb, flag, true]);
      // The verb's own flags are in its section; the global ones once, under GLOBAL OPTIONS.
      for (const flag of flags.filter((f) => !["--json", "--connect", "-c", "--verbose"].includes(f))) {
        expect([verb, flag, section!.includes(flag)]).toEqual([verb, flag, true]);
      }
    }
  }, 60_000); // one --help run per verb: seconds on a loaded machine

  test("lists every exit code of docs/exit-codes.md and every TESTCLOUD_ variable of the settings", async () => {
    const page = rendered();
    const doc = readFileSync(join(ROOT, "docs/exit-codes.md"), "utf8");
    for (const [, code] of doc.matchAll(/`(E_[A-Z0-9_]+)`/g)) expect(page).toContain(code!);
    const { SCHEMA } = await import("../../lib/host/_config-schema.ts");
    for (const { env } of Object.values(SCHEMA)) expect(page).toContain(env);
  });
});

describe("scripts/install.sh", () => {
  test("puts the binary, the man page and the completions under PREFIX, where man and the shells look", () => {
    const prefix = scratchDir("testcloud-install-");
    const installed = run(["bash", join(ROOT, "scripts/install.sh"), prefix]);
    expect(installed.exitCode).toBe(0);
    expect(run([join(prefix, "bin", "testcloud"), "--version"]).stdout).toBe(run([BIN, "--version"]).stdout);
    const where = run([requireTool("man", "man-db"), "-w", "testcloud"], { MANPATH: join(prefix, "share", "man") });
    expect(where.stdout.trim()).toBe(join(prefix, "share", "man", "man1", "testcloud.1"));
    for (const file of ["bash-completion/completions/testcloud", "zsh/site-functions/_testcloud", "fish/vendor_completions.d/testcloud.fish"]) {
      expect(readFileSync(join(prefix, "share", file), "utf8")).toContain("testcloud __complete");
    }
  });
});
