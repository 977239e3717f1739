/**
 * `testcloud completion bash|zsh|fish` in the real shells, against dist/testcloud and a data
 * dir holding one instance record, one template and one cached image, and a config naming one
 * host: verbs and flags as the command definitions have them, and instance and template names,
 * images, libvirt networks and hosts from testcloud.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArgsDef, CommandDef, CommandMeta } from "citty";
import { commands } from "../../commands/registry.ts";
import { instancePaths, writeRecord } from "../../lib/instance/state.ts";
import { testMachine } from "../_machine.ts";
import { requireTool } from "../_helpers.ts";
import { rawDisk } from "../image/_image-server.ts";
import { BIN, cli, NETWORK } from "./_env.ts";

const scratch = mkdtempSync(join(tmpdir(), "testcloud-completion-"));
// A data dir of its own: the suite's shared one holds whatever other files left in it.
const dataDir = join(scratch, "data");
const scripts: Record<string, string> = {};
let digest = "";
let imageSource = "";

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(async () => {
  mkdirSync(instancePaths(dataDir, "web").dir, { recursive: true });
  await writeRecord(dataDir, {
    name: "web",
    uuid: "4b3c2a19-5d6e-4f70-8a91-b2c3d4e5f607",
    uri: "qemu:///system",
    createdAt: new Date().toISOString(),
    user: "cloud-user",
    image: { source: "x", digest: "0".repeat(64), path: "/nonexistent" },
    machine: testMachine(),
  });
  mkdirSync(join(dataDir, "templates", "base"), { recursive: true });
  writeFileSync(join(dataDir, "templates", "base", "template.json"), "{}");
  mkdirSync(join(scratch, "config", "testcloud"), { recursive: true });
  writeFileSync(join(scratch, "config", "testcloud", "config.toml"), '[hosts]\nlab = "qemu+ssh://root@lab/system"\n');
  const disk = join(scratch, "disk.raw");
  writeFileSync(disk, rawDisk(256 << 10, 5));
  const pulled = await cli(["image", "pull", `file://${disk}`, "--json"], { TESTCLOUD_DATA_DIR: dataDir });
  expect(pulled.exitCode).toBe(0);
  [digest, imageSource] = [pulled.json.digest, pulled.json.source];
  for (const shell of ["bash", "zsh", "fish"]) {
    const printed = await cli(["completion", shell]);
    expect(printed.exitCode).toBe(0);
    scripts[shell] = join(scratch, `testcloud.${shell}`);
    writeFileSync(scripts[shell]!, printed.stdout);
  }
  // fish and zsh complete the command named testcloud: put dist/testcloud first on PATH under that name.
  mkdirSync(join(scratch, "bin"));
  symlinkSync(BIN, join(scratch, "bin", "testcloud"));
});

const env = () => ({ ...process.env, TESTCLOUD_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(scratch, "config"), PATH: `${join(scratch, "bin")}:${process.env.PATH}` });

function run(argv: string[]): string[] {
  const result = Bun.spawnSync(argv, { env: env(), stdout: "pipe", stderr: "pipe" });
  expect(result.stderr.toString()).toBe("");
  expect(result.exitCode).toBe(0);
  return result.stdout.toString().split("\n").filter(Boolean);
}

/** COMPREPLY of the bash function for `line` (the cursor at its end), as bash sets the COMP_ variables. */
function bash(line: string, { withLine = true } = {}): string[] {
  const harness = `
    source "$1"
    read -ra COMP_WORDS <<< "$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
    if [[ $3 == yes ]]; then COMP_LINE=$2 COMP_POINT=\${#2}; fi
    _testcloud
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  return run([requireTool("bash", "bash"), "-c", harness, "bash", scripts.bash!, line, withLine ? "yes" : "no"]);
}

/** Every verb of a group and every long flag of a verb, from the command definitions. */
async function definitions(): Promise<Map<string, { flags: string[]; verbs: string[] }>> {
  const resolve = async <T>(v: T | (() => T | Promise<T>) | Promise<T> | undefined) => (typeof v === "function" ? await (v as () => T)() : await v);
  const found = new Map<string, { flags: string[]; verbs: string[] }>();
  const walk = async (path: string, command: CommandDef) => {
    const meta = (await resolve(command.meta)) as CommandMeta;
    if (meta.hidden) return;
    const args = ((await resolve(command.args)) ?? {}) as ArgsDef;
    const subs = ((await resolve(command.subCommands)) ?? {}) as Record<string, () => Promise<CommandDef>>;
    const flags = Object.entries(args).filter(([, d]) => d.type !== "positional").map(([name]) => `--${name}`);
    found.set(path, { flags, verbs: Object.keys(subs) });
    for (const [name, sub] of Object.entries(subs)) await walk(`${path} ${name}`, await sub());
  };
  for (const [name, load] of Object.entries(commands)) await walk(name, await load());
  return found;
}

describe("bash completion", () => {
  test("offers every visible verb, the aliases, and not the hidden __complete", async () => {
    const verbs = [...(await definitions()).keys()].filter((path) => !path.includes(" "));
    expect(bash("testcloud ").sort()).toEqual([...verbs, "destroy", "force-off"].sort());
  });

  test("offers every long flag of every verb, as its definition declares it (and --help)", async () => {
    for (const [path, { flags }] of await definitions()) {
      const offered = bash(`testcloud ${path} --`).filter((flag) => !flag.startsWith("--no-"));
      expect([path, offered.sort()]).toEqual([path, [...flags, "--help"].sort()]);
    }
  });

  test.each([
    ["the image group's verbs", "testcloud image ", ["list", "pull", "remove", "prune", "resolve"]],
    ["instance names from the data dir", "testcloud ssh ", ["web"]],
    ["instance names after an alias", "testcloud destroy w", ["web"]],
    ["instance names after -c system", "testcloud -c system force-off ", ["web"]],
    ["the words of a value hint", "testcloud create --wait ", ["ssh", "cloud-init"]],
    ["the words of a --flag=value", "testcloud create --firmware=uefi", ["uefi", "uefi-secure"]],
    ["-c system and session", "testcloud -c s", ["system", "session"]],
    ["--no-wait", "testcloud start web --no-w", ["--no-wait"]],
    ["the shells", "testcloud completion ", ["bash", "zsh", "fish"]],
    ["template names for --from", "testcloud create --from ", ["base"]],
    ["template names, not instances, to template remove", "testcloud template remove ", ["base"]],
    ["the configured hosts and auto for --host", "testcloud create --host ", ["lab", "auto"]],
    ["nothing after -- (the remote command's words)", "testcloud ssh web -- ", []],
  ])("offers %s", (_label, line, expected) => {
    expect(bash(line)).toEqual(expected);
  });

  test("works from COMP_WORDS and COMP_CWORD alone", () => {
    expect(bash("testcloud info ", { withLine: false })).toEqual(["web"]);
  });

  test("offers libvirt's networks and user for --network", () => {
    expect(bash("testcloud create --network ")).toEqual(expect.arrayContaining([NETWORK, "user"]));
  });

  test("offers the cached image's digest and source to image remove, and only its source to create", () => {
    expect(bash("testcloud image remove ")).toEqual(expect.arrayContaining([digest.slice(0, 12), imageSource]));
    expect(bash("testcloud create file")).toEqual(expect.arrayContaining([imageSource]));
    expect(bash("testcloud create file")).not.toContain(digest.slice(0, 12));
  });

  test("completes past a colon as bash replaces it: only what follows the colon", () => {
    const cur = imageSource.slice(0, imageSource.indexOf(":") + 4); // file:///…
    expect(bash(`testcloud image remove ${cur}`)).toEqual([imageSource.slice(imageSource.indexOf(":") + 1)]);
  });
});

describe("zsh completion", () => {
  test("parses (zsh -n)", () => {
    run([requireTool("zsh", "zsh"), "-n", scripts.zsh!]);
  });

  test("offers verbs, flags, instance names and value words through compadd and _describe", () => {
    const harness = `
      compdef() { :; }
      compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -rl -- "$@"; }
      _describe() { print -rl -- "\${(@)\${(P)\${@[-1]}}%%:*}"; }
      source "$1"
      words=(\${=2}); [[ $2 == *" " ]] && words+=(""); CURRENT=\${#words}
      _testcloud`;
    const zsh = (line: string) => run([requireTool("zsh", "zsh"), "-c", harness, "zsh", scripts.zsh!, line]);
    expect(zsh("testcloud ")).toEqual(expect.arrayContaining(["create", "destroy", "image"]));
    expect(zsh("testcloud ssh ")).toEqual(["web"]);
    expect(zsh("testcloud image pull --")).toEqual(expect.arrayContaining(["--arch", "--offline", "--no-offline", "--json"]));
    expect(zsh("testcloud start web --wait ")).toEqual(["ssh", "cloud-init"]);
  });
});

describe("fish completion", () => {
  const fish = (line: string) =>
    run([requireTool("fish", "fish"), "-c", `source $argv[1]; complete -C $argv[2]`, scripts.fish!, line]).map((l) => l.split("\t")[0]!);

  test("parses (fish -n)", () => {
    run([requireTool("fish", "fish"), "-n", scripts.fish!]);
  });

  test.each([
    ["verbs and aliases", "testcloud ", ["create", "destroy", "force-off", "image"]],
    ["the image group's verbs", "testcloud image ", ["list", "pull", "remove", "prune", "resolve"]],
    ["instance names", "testcloud -c session ssh ", ["web"]],
    ["a verb's flags", "testcloud create --fi", ["--firmware"]],
    ["value words", "testcloud create --wait ", ["ssh", "cloud-init"]],
  ])("offers %s", (_label, line, expected) => {
    expect(fish(line)).toEqual(expect.arrayContaining(expected));
  });

  test("offers no verb inside the image group but the group's, and nothing after --", () => {
    expect(fish("testcloud image ")).not.toContain("create");
    expect(fish("testcloud ssh web -- ")).toEqual([]);
  });
});

describe("testcloud completion", () => {
  test("refuses an unknown shell: exit 2", async () => {
    const result = await cli(["completion", "tcsh", "--json"]);
    expect([result.exitCode, result.json.error.code]).toEqual([2, "E_USAGE"]);
  });

  test("--help lists completion but not the hidden __complete", async () => {
    const help = (await cli(["--help"])).stdout;
    expect(help).toContain("completion");
    expect(help).not.toContain("__complete");
  });
});
