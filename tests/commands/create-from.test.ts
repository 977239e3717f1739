/**
 * `create --from` and the `template` verbs, up to where they would touch a VM: the real CLI
 * in a child process against libvirt's daemon-less test driver, with its own data dir.
 */
import { describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { useTempDirs } from "../_helpers.ts";
import { assertSchema } from "../_schema.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const tempDir = useTempDirs();

async function testcloud(args: string[]) {
  const dataDir = await tempDir();
  const env = { ...process.env, TESTCLOUD_DATA_DIR: dataDir, TESTCLOUD_CONNECT: "test:///default" };
  const proc = Bun.spawn([BUN, "cli.ts", ...args, "--json"], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { exitCode, json: JSON.parse(stdout), dataDir };
}

describe("create --from and the template verbs, before any VM", () => {
  // [args, exit code, error code]
  const cases: [string[], number, string][] = [
    [["create"], 2, "E_USAGE"],
    [["create", "fedora:41", "--from", "web"], 2, "E_USAGE"],
    [["create", "fedora:41", "--or-boot"], 2, "E_USAGE"],
    [["create", "--from", "web"], 4, "E_TEMPLATE_NOT_FOUND"],
    // Nothing to boot instead: --or-boot falls back only from a template that exists.
    [["create", "--from", "web", "--or-boot"], 4, "E_TEMPLATE_NOT_FOUND"],
    [["create", "--from", "Not_A_Name"], 2, "E_INVALID_NAME"],
    [["template", "create", "Not_A_Name", "fedora:41"], 2, "E_INVALID_NAME"],
    [["template", "remove", "web"], 4, "E_TEMPLATE_NOT_FOUND"],
    // The fork's NIC goes into a PCIe root port after the restore: the host's arch only.
    [["template", "create", "t1", "/nonexistent.qcow2", "--arch", "aarch64"], 2, "E_USAGE"],
  ];

  test.each(cases)("testcloud %p exits %p with %p and makes nothing", async (args, exitCode, code) => {
    const result = await testcloud(args);
    expect(result.exitCode).toBe(exitCode);
    expect(result.json.error).toMatchObject({ code, exitCode });
    assertSchema("error", result.json);
    expect(await readdir(join(result.dataDir, "instances")).catch(() => [])).toEqual([]);
  });

  test("template list is an empty array in a fresh data dir", async () => {
    const result = await testcloud(["template", "list"]);
    expect(result.exitCode).toBe(0);
    expect(result.json).toEqual([]);
    assertSchema("template-list", result.json);
  });
});
