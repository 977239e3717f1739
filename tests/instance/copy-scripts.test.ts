// The guest side of cp, run here under the two shells and tool sets guests have: busybox
// alone (the tiny image: ash, busybox tar/stat/find) and dash with GNU coreutils, findutils
// and tar (Debian). Every script is run as ssh runs it: `sh -c SCRIPT testcloud-cp ARG…`.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../lib/host/run.ts";
import { guestPath } from "../../lib/host/ssh.ts";
import { GUEST_STATUS, guestScript, PROBE_DESTINATION, PROBE_SOURCES, RECEIVE_FILE, RECEIVE_TREE, SEND_FILE, SEND_TREE } from "../../lib/instance/_copy-scripts.ts";
import { treeManifest } from "../../lib/instance/_tree-manifest.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();
const fileTempDir = useTempDirs("all");
let busyboxBin = "";

beforeAll(async () => {
  busyboxBin = await fileTempDir();
  for (const applet of (await run(["busybox", "--list"])).stdout.split("\n").filter(Boolean)) symlinkSync(Bun.which("busybox")!, join(busyboxBin, applet));
});

const guests = [
  ["busybox (tiny image)", () => ({ shell: join(busyboxBin, "sh"), PATH: busyboxBin })],
  ["dash with GNU tools (Debian)", () => ({ shell: "/bin/sh", PATH: "/usr/bin:/bin" })],
] as const;

/** A host tar stream of `dir`, as upload sends it. */
const tarOf = async (dir: string) => new Uint8Array(await new Response(Bun.spawn(["tar", "-c", "-f", "-", "-C", dir, "."], { stdout: "pipe" }).stdout).arrayBuffer());
/** Temporary names the scripts left behind. */
const leftovers = (dir: string) => readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.includes(".testcloud-cp."));

describe.each(guests)("guest scripts under %s", (_label, environment) => {
  /** Runs a script in `home` as the guest's login shell would, with `stdin` as the data. */
  async function guest(home: string, words: string[], stdin?: string | Uint8Array) {
    const { shell, PATH } = environment();
    const proc = Bun.spawn([shell, ...words.slice(1)], { cwd: home, env: { PATH, HOME: home }, stdin: stdin === undefined ? "ignore" : new Blob([stdin]), stdout: "pipe", stderr: "pipe" });
    const [out, stderr, status] = await Promise.all([new Response(proc.stdout).arrayBuffer(), new Response(proc.stderr).text(), proc.exited]);
    return { status, stdout: new Uint8Array(out), text: new TextDecoder().decode(out), stderr };
  }

  async function tree(): Promise<string> {
    const home = await tempDir();
    mkdirSync(join(home, "src/sub/deeper"), { recursive: true });
    mkdirSync(join(home, "src/empty"));
    writeFileSync(join(home, "src/a.txt"), "alpha\n");
    writeFileSync(join(home, "src/sub/deeper/b.bin"), new Uint8Array(70_000).map((_, i) => i % 251));
    writeFileSync(join(home, "src/odd name\nwith newline"), "x");
    symlinkSync("sub/deeper/b.bin", join(home, "src/link"));
    return home;
  }

  test("PROBE_DESTINATION names a directory, a file, a dangling link, a missing name and a missing parent", async () => {
    const home = await tree();
    symlinkSync("/nonexistent", join(home, "dangling"));
    const kinds = [];
    for (const path of ["src", "./src/a.txt", "dangling", "new", "nope/new", ".", "-x"]) kinds.push((await guest(home, guestScript(PROBE_DESTINATION, guestPath(path)))).text.trim());
    expect(kinds).toEqual(["directory", "file", "file", "missing", "no-parent", "directory", "missing"]);
  });

  test("PROBE_SOURCES prints one line per source, whatever its name holds", async () => {
    const home = await tree();
    const result = await guest(home, guestScript(PROBE_SOURCES, "./src", "./src/odd name\nwith newline", "/dev/null", "./gone"));
    const mode = (statSync(join(home, "src/odd name\nwith newline")).mode & 0o777).toString(8);
    expect(result.text).toBe(`directory\nfile 1 ${mode}\nother\nmissing\n`);
  });

  test("RECEIVE_FILE writes exactly the announced bytes with the mode, over an existing file", async () => {
    const home = await tree();
    const data = "new content\n";
    const result = await guest(home, guestScript(RECEIVE_FILE, "./src/a.txt", data.length, "750"), data);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(readFileSync(join(home, "src/a.txt"), "utf8")).toBe(data);
    expect(statSync(join(home, "src/a.txt")).mode & 0o777).toBe(0o750);
    expect(leftovers(home)).toEqual([]);
  });

  test.each([
    ["a cut-off stream", "new conte"],
    ["a longer stream", "new content\n and more"],
    ["nothing at all (the connection dropped at once)", ""],
  ])("RECEIVE_FILE keeps nothing of %s, and the old file stays", async (_what, sent) => {
    const home = await tree();
    const data = "new content\n";
    const result = await guest(home, guestScript(RECEIVE_FILE, "./src/a.txt", data.length, "644"), sent);
    expect(result.status).toBe(GUEST_STATUS.incomplete);
    expect(result.stderr).toContain("the guest received");
    expect(readFileSync(join(home, "src/a.txt"), "utf8")).toBe("alpha\n");
    expect(leftovers(home)).toEqual([]);
  });

  test("RECEIVE_FILE refuses a directory as target and a missing parent with their statuses", async () => {
    const home = await tree();
    expect((await guest(home, guestScript(RECEIVE_FILE, "./src", 1, "644"), "x")).status).toBe(GUEST_STATUS.isDirectory);
    expect((await guest(home, guestScript(RECEIVE_FILE, "./nope/x", 1, "644"), "x")).status).toBe(GUEST_STATUS.noParent);
  });

  test("RECEIVE_FILE writes a name that starts with - (guestPath keeps it from being an option)", async () => {
    const home = await tree();
    const result = await guest(home, guestScript(RECEIVE_FILE, guestPath("-n"), 1, "644"), "x");
    expect(result.status).toBe(0);
    expect(readFileSync(join(home, "-n"), "utf8")).toBe("x");
  });

  test("RECEIVE_TREE unpacks a host tar stream into a new directory with the announced counts", async () => {
    const home = await tree();
    const manifest = treeManifest(join(home, "src"));
    const result = await guest(home, guestScript(RECEIVE_TREE, "./copy", manifest.entries, manifest.bytes, "750"), await tarOf(join(home, "src")));
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(readFileSync(join(home, "copy/sub/deeper/b.bin"))).toEqual(readFileSync(join(home, "src/sub/deeper/b.bin")));
    expect(readFileSync(join(home, "copy/odd name\nwith newline"), "utf8")).toBe("x");
    expect(statSync(join(home, "copy")).mode & 0o777).toBe(0o750);
    expect(treeManifest(join(home, "copy"))).toMatchObject({ entries: manifest.entries, bytes: manifest.bytes });
    expect(leftovers(home)).toEqual([]);
  });

  test("RECEIVE_TREE keeps nothing when the counts differ or the stream is cut off", async () => {
    const home = await tree();
    const manifest = treeManifest(join(home, "src"));
    const stream = await tarOf(join(home, "src"));
    const miscounted = await guest(home, guestScript(RECEIVE_TREE, "./copy", manifest.entries + 1, manifest.bytes, "755"), stream);
    expect(miscounted.status).toBe(GUEST_STATUS.incomplete);
    const cut = await guest(home, guestScript(RECEIVE_TREE, "./copy", manifest.entries, manifest.bytes, "755"), stream.subarray(0, 40_000));
    expect(cut.status).not.toBe(0);
    expect(readdirSync(home).sort()).toEqual(["src"]);
  });

  test("RECEIVE_TREE never merges into an existing directory", async () => {
    const home = await tree();
    const result = await guest(home, guestScript(RECEIVE_TREE, "./src", 1, 0, "755"), await tarOf(await tempDir()));
    expect(result.status).toBe(GUEST_STATUS.exists);
    expect(leftovers(home)).toEqual([]);
  });

  test("SEND_FILE sends the bytes of a file, through a symlink too", async () => {
    const home = await tree();
    const result = await guest(home, guestScript(SEND_FILE, "./src/link"));
    expect(Buffer.from(result.stdout).equals(readFileSync(join(home, "src/sub/deeper/b.bin")))).toBe(true);
  });

  test("SEND_TREE announces the counts the host will find, then a tar stream", async () => {
    const home = await tree();
    const result = await guest(home, guestScript(SEND_TREE, "./src"));
    const newline = result.stdout.indexOf(10);
    const manifest = treeManifest(join(home, "src"));
    const mode = (statSync(join(home, "src")).mode & 0o777).toString(8);
    expect(new TextDecoder().decode(result.stdout.subarray(0, newline))).toBe(`${manifest.entries} ${manifest.bytes} ${mode}`);
    const out = await tempDir();
    const untar = Bun.spawn(["tar", "-x", "-f", "-", "-C", out], { stdin: new Blob([result.stdout.subarray(newline + 1)]) });
    expect(await untar.exited).toBe(0);
    expect(treeManifest(out)).toMatchObject({ entries: manifest.entries, bytes: manifest.bytes });
  });

  test("SEND_FILE and SEND_TREE exit with the missing status for what is not there", async () => {
    const home = await tree();
    expect((await guest(home, guestScript(SEND_FILE, "./gone"))).status).toBe(GUEST_STATUS.missing);
    expect((await guest(home, guestScript(SEND_TREE, "./gone"))).status).toBe(GUEST_STATUS.missing);
  });
});
