// scripts/host-packages.txt is what setup-host installs on a fresh machine. A command a
// script or test calls that is neither listed there nor part of Essential Debian would
// work here (someone installed it) and fail for a newcomer: this test fails instead.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { run } from "../../lib/host/run.ts";

const root = join(import.meta.dir, "../..");
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** command → package, from the table (rows "- pkg" name packages needed for their files). */
const table = new Map<string, string>();
for (const line of readFileSync(join(root, "scripts/host-packages.txt"), "utf8").split("\n")) {
  const [command, pkg] = line.trim().split(/\s+/);
  if (command && pkg && !command.startsWith("#") && command !== "-") table.set(command, pkg);
}

// Words the scan below finds that are not commands run on the host, with why.
const NOT_HOST_COMMANDS: Record<string, string> = {
  npm: "comes with the machine (Node/npm); it installs Bun",
  systemctl: "used only where systemd runs (setup-host checks first)",
  shutdown: "a virsh verb and a guest command",
  reboot: "a guest command (tests run it over ssh)",
  reset: "a virsh verb",
  kvm: "a --virt-type value",
  x86_64: "an architecture name",
  opt: "a path segment in a build script",
  vim: "text in a test's user-data",
  uptime: "a guest command (tests run it over ssh)",
  curl: "only the download benchmark compares itself with curl",
  python3: "only the download benchmark serves files with python3",
};

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    // rootfs/ runs inside the tiny guest, not on the host; this file names commands as data.
    .filter((file) => pattern.test(file) && !file.includes("rootfs/") && join(root, dir, file) !== import.meta.path)
    .map((file) => join(root, dir, file));
}

/** Words that stand where a command stands: argv[0] of spawns in TypeScript, command words in shell. */
function commandWords(): Map<string, string> {
  const words = new Map<string, string>();
  const add = (word: string, file: string) => words.has(word) || words.set(word, relative(root, file));
  for (const file of ["lib", "commands", "tests", "scripts"].flatMap((dir) => files(dir, /\.ts$/))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\[\s*"([a-z][a-z0-9.+_-]*)"|(?:which|requireTool|tool)\(\s*"([a-z][a-z0-9.+_-]*)"|\$`\s*([a-z][a-z0-9.+_-]*)/g)) {
      add((m[1] ?? m[2] ?? m[3])!, file);
    }
  }
  for (const file of [...files("scripts", /\.sh$/), join(root, ".ci/run")]) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const code = line.replace(/(^|\s)#.*$/, "");
      for (const part of code.split(/\|\||&&|[|;!`]|\$\(|\b(?:then|do|else|if|while|until)\b/)) {
        const m = /^\s*(?:[A-Za-z_]\w*=\S*\s+)*(?:exec\s+|command\s+-v\s+|sudo\s+)?([a-z][a-z0-9.+_-]*)/.exec(part);
        if (m) add(m[1]!, file);
      }
      // The tool lists build scripts check up front: `for c in a b c; do command -v "$c"`.
      const loop = /for \w+ in ([^;]+);\s*do/.exec(code);
      for (const word of loop?.[1]!.trim().split(/\s+/) ?? []) if (/^[a-z][a-z0-9.+_-]*$/.test(word)) add(word, file);
    }
  }
  return words;
}

/** The names a command may go by for dpkg: its PATH entry, without /usr (usrmerge), its real file (alternatives). */
function dpkgNames(command: string): string[] {
  const found = Bun.which(command, { PATH });
  if (!found) return [];
  const real = realpathSync(found);
  return [found, found.replace(/^\/usr/, ""), real, real.replace(/^\/usr/, "")];
}

/** The package owning each command found on PATH, in one `dpkg -S` call. */
async function owners(commands: string[]): Promise<Map<string, string>> {
  const names = [...new Set(commands.flatMap(dpkgNames))];
  const { stdout } = await run(["dpkg", "-S", ...names], { allowFailure: true });
  const byPath = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const at = line.lastIndexOf(": ");
    if (at > 0) byPath.set(line.slice(at + 2), line.slice(0, at).split(",")[0]!.trim());
  }
  const result = new Map<string, string>();
  for (const command of commands) {
    const pkg = dpkgNames(command).map((name) => byPath.get(name)).find(Boolean);
    if (pkg) result.set(command, pkg);
  }
  return result;
}

/** Packages marked Essential (always on a Debian system), in one dpkg-query call. */
async function essentials(): Promise<Set<string>> {
  const { stdout } = await run(["dpkg-query", "-W", "-f=${Package} ${Essential}\n"]);
  return new Set(stdout.split("\n").filter((l) => l.endsWith(" yes")).map((l) => l.split(" ")[0]!));
}

/** kill, echo, printf…: bash runs its own, whatever package has a binary of that name. */
async function bashBuiltins(): Promise<Set<string>> {
  return new Set((await run(["bash", "-c", "compgen -b"])).stdout.split("\n"));
}

describe("scripts/host-packages.txt", () => {
  test("lists commands", () => {
    expect(table.size).toBeGreaterThan(20);
  });

  test("each command comes from the package it is listed with (dpkg -S)", async () => {
    const found = await owners([...table.keys()]);
    expect([...table].filter(([command, pkg]) => found.get(command) !== pkg).map(([c, p]) => `${c}: listed ${p}, dpkg says ${found.get(c) ?? "not installed"}`)).toEqual([]);
  });

  test("every command a script or test runs is listed, Essential, or known not to be a host command", async () => {
    const words = commandWords();
    const [found, essential, builtins] = await Promise.all([owners([...words.keys()]), essentials(), bashBuiltins()]);
    const missing = [...words]
      .filter(([word]) => !table.has(word) && !(word in NOT_HOST_COMMANDS) && !builtins.has(word))
      .filter(([word]) => found.has(word) && !essential.has(found.get(word)!))
      .map(([word, file]) => `${word} (package ${found.get(word)}, used in ${file})`);
    expect(missing).toEqual([]);
  });

  test("the scan finds the commands it must (it would miss the next one otherwise)", () => {
    const words = commandWords();
    for (const word of ["depmod", "debootstrap", "qemu-img", "virsh", "mcopy", "sfdisk", "xorriso"]) expect(words.has(word)).toBe(true);
  });
});
