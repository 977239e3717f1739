/**
 * The image-safety settings reach the image store through the real CLI: allowInsecureHttp
 * (--allow-insecure-http, TESTCLOUD_ALLOW_INSECURE_HTTP) for `image pull`, `image resolve`
 * and `create`, maxImageSize (TESTCLOUD_MAX_IMAGE_SIZE, the config file) for `image
 * pull` and `create`, and imageDir (where the cache is) for the image verbs and `create`. `create` runs against libvirt's daemon-less test driver: it fails
 * after the image, at the latest, and boots nothing.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { useTempDirs } from "../_helpers.ts";
import { compress } from "./_reference-images.ts";
import { hostAddress, rawDisk, sha256, useImageServer } from "./_image-server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
// On this host's own non-loopback address: plain http "to another host" whose traffic stays local.
const remote = useImageServer(hostAddress);
const tempDir = useTempDirs();
const DISK = rawDisk(256 << 10, 9);
const ALMA_DIR = "/alma/almalinux/9/cloud/x86_64/images/";
const ALMA_FILE = "AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2";

/** Runs `testcloud ARGS… --json` with only `env` and `toml` (the user's config file) as settings. */
async function cli(args: string[], env: Record<string, string> = {}, toml = "") {
  const home = await tempDir();
  await Bun.write(join(home, "testcloud", "config.toml"), toml);
  const base: Record<string, string | undefined> = { ...process.env, TESTCLOUD_DATA_DIR: await tempDir(), TESTCLOUD_CONNECT: "test:///default", XDG_CONFIG_HOME: home };
  for (const name of Object.keys(base)) if (/^TESTCLOUD_(OFFLINE|MIRRORS|ALLOW_INSECURE_HTTP|MAX_IMAGE_SIZE|IMAGE_DIR)$/.test(name)) delete base[name];
  const proc = Bun.spawn([BUN, "cli.ts", ...args, "--json"], { cwd: ROOT, env: { ...base, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { exitCode, json: JSON.parse(stdout) };
}

describe("allowInsecureHttp", () => {
  test("image pull refuses plain http to another host by default: exit 6, E_INSECURE_HTTP", async () => {
    remote.put("/disk.raw", DISK);
    const result = await cli(["image", "pull", remote.url("/disk.raw")]);
    expect([result.exitCode, result.json.error.code]).toEqual([6, "E_INSECURE_HTTP"]);
    expect(remote.log).toEqual([]);
  });

  test.each([
    ["--allow-insecure-http", ["--allow-insecure-http"], {}],
    ["TESTCLOUD_ALLOW_INSECURE_HTTP=1", [], { TESTCLOUD_ALLOW_INSECURE_HTTP: "1" }],
  ])("image pull with %s fetches it, reported as not verified", async (_label, flags, env) => {
    remote.put("/disk.raw", DISK);
    const result = await cli(["image", "pull", remote.url("/disk.raw"), ...flags], env);
    expect([result.exitCode, result.json.digest, result.json.verified]).toEqual([0, sha256(DISK), false]);
  });

  test("image resolve reads a plain-http mirror only with --allow-insecure-http, and then says the checksum is insecure", async () => {
    remote.put(`${ALMA_DIR}CHECKSUM`, new TextEncoder().encode(`${sha256(DISK)}  ${ALMA_FILE}\n`), { contentType: "text/plain" });
    const env = { TESTCLOUD_MIRRORS: JSON.stringify({ "repo.almalinux.org": `${remote.origin}/alma` }) };
    const refused = await cli(["image", "resolve", "alma:9", "--arch", "x86_64"], env);
    expect([refused.exitCode, refused.json.error.code]).toEqual([6, "E_INSECURE_HTTP"]);
    const allowed = await cli(["image", "resolve", "alma:9", "--arch", "x86_64", "--allow-insecure-http"], env);
    expect([allowed.exitCode, allowed.json.insecure, allowed.json.checksum.value]).toEqual([0, true, sha256(DISK)]);
  });
});

describe("create", () => {
  const create = (image: string, flags: string[] = [], env: Record<string, string> = {}) =>
    cli(["create", image, "--network", "default", "--ram", "128", "--vcpus", "1", "--no-wait", ...flags], env);

  test("refuses plain http to another host before any request: exit 6, E_INSECURE_HTTP", async () => {
    remote.put("/disk.raw", DISK);
    const result = await create(remote.url("/disk.raw"));
    expect([result.exitCode, result.json.error.code]).toEqual([6, "E_INSECURE_HTTP"]);
    expect(remote.log).toEqual([]);
  });

  test("with --allow-insecure-http fetches the image", async () => {
    remote.put("/disk.raw", DISK);
    const result = await create(remote.url("/disk.raw"), ["--allow-insecure-http"]);
    expect(result.json.error?.code).not.toBe("E_INSECURE_HTTP");
    expect(remote.bodyGets("/disk.raw")).toHaveLength(1);
  });

  test("with TESTCLOUD_MAX_IMAGE_SIZE stops a .gz that expands beyond it: exit 6, E_DECOMPRESS_LIMIT", async () => {
    const path = join(await tempDir(), "disk.raw.gz");
    await Bun.write(path, await compress(rawDisk(2 << 20, 4), "gz"));
    const result = await create(path, [], { TESTCLOUD_MAX_IMAGE_SIZE: "1M" });
    expect([result.exitCode, result.json.error.code]).toEqual([6, "E_DECOMPRESS_LIMIT"]);
  });
});

describe("maxImageSize", () => {
  test.each([
    ["TESTCLOUD_MAX_IMAGE_SIZE", { TESTCLOUD_MAX_IMAGE_SIZE: "1M" }, ""],
    ["the config file", {}, 'maxImageSize = "1M"\n'],
  ])("from %s stops image pull of a .gz that expands beyond it: exit 6, E_DECOMPRESS_LIMIT", async (_label, env, toml) => {
    const path = join(await tempDir(), "disk.raw.gz");
    await Bun.write(path, await compress(rawDisk(2 << 20, 4), "gz"));
    const result = await cli(["image", "pull", path], env, toml);
    expect([result.exitCode, result.json.error.code]).toEqual([6, "E_DECOMPRESS_LIMIT"]);
    expect(result.json.error.message).toContain(`more than ${1 << 20} bytes`);
  });
});

describe("imageDir", () => {
  test.each([
    ["TESTCLOUD_IMAGE_DIR", true],
    ["the config file", false],
  ])("from %s holds what image pull fetches; image list and image remove find it there", async (_label, viaEnv) => {
    const dataDir = await tempDir();
    const imageDir = join(await tempDir(), "cache");
    const env = { TESTCLOUD_DATA_DIR: dataDir, ...(viaEnv ? { TESTCLOUD_IMAGE_DIR: imageDir } : {}) };
    const toml = viaEnv ? "" : `imageDir = ${JSON.stringify(imageDir)}\n`;
    const path = join(await tempDir(), "disk.raw");
    await Bun.write(path, DISK);
    const pulled = await cli(["image", "pull", path], env, toml);
    expect([pulled.exitCode, pulled.json.path]).toEqual([0, join(imageDir, "blobs", `sha256-${sha256(DISK)}`)]);
    expect(existsSync(join(dataDir, "images"))).toBe(false);
    const listed = await cli(["image", "list"], env, toml);
    expect(listed.json.map((image: { path: string }) => image.path)).toEqual([pulled.json.path]);
    expect((await cli(["image", "remove", sha256(DISK)], env, toml)).exitCode).toBe(0);
    expect(existsSync(pulled.json.path)).toBe(false);
  });

  test("create fetches its image into TESTCLOUD_IMAGE_DIR", async () => {
    const dataDir = await tempDir();
    const imageDir = join(await tempDir(), "cache");
    const path = join(await tempDir(), "disk.raw");
    await Bun.write(path, DISK);
    await cli(["create", path, "--network", "default", "--ram", "128", "--no-wait"], { TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_IMAGE_DIR: imageDir });
    expect(existsSync(join(imageDir, "blobs", `sha256-${sha256(DISK)}`))).toBe(true);
    expect(existsSync(join(dataDir, "images"))).toBe(false);
  });
});
