// docs/exit-codes.md is the contract scripts branch on: every E_* code the code can
// raise is in it, on the row of the exit code it really exits with.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../lib/errors.ts";

const root = join(import.meta.dir, "..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => readFileSync(join(root, dir, file), "utf8"));
}

const code = [...sources("lib"), ...sources("commands")].join("\n");
const doc = readFileSync(join(root, "docs/exit-codes.md"), "utf8");

/** Documented code → exit code, from the table's rows `| exit | class | codes |`. */
const documented = new Map<string, number>();
for (const row of doc.matchAll(/^\| (\d+) \| (\w+) \| (.*) \|$/gm)) {
  for (const [, name] of row[3]!.matchAll(/`(E_[A-Z0-9_]+)`/g)) documented.set(name!, Number(row[1]));
}

const CLASS_EXIT: Record<string, number> = {
  TestcloudError: ExitCode.internal,
  UsageError: ExitCode.usage,
  DependencyError: ExitCode.dependency,
  NotFoundError: ExitCode.notFound,
  AlreadyExistsError: ExitCode.exists,
  ImageError: ExitCode.download,
  ToolError: ExitCode.tool,
  TimeoutError: ExitCode.timeout,
  LibvirtUnavailableError: ExitCode.libvirt,
  StateError: ExitCode.state,
  InterruptedError: ExitCode.interrupted,
};

describe("docs/exit-codes.md", () => {
  const used = [...new Set([...code.matchAll(/"(E_[A-Z0-9_]+)"/g)].map((m) => m[1]!))].sort();

  test("the table was read", () => {
    expect(documented.size).toBeGreaterThan(30);
  });

  test.each(used)("documents %s, which the code raises", (name) => {
    expect(documented.has(name)).toBe(true);
  });

  test("documents no code the code never raises", () => {
    expect([...documented.keys()].filter((name) => !used.includes(name))).toEqual([]);
  });

  // `new NotFoundError("…", { code: "E_X" })` exits with NotFoundError's exit code.
  const raised = [...code.matchAll(/new (\w+Error)\((?:[^;]|\n)*?code: "(E_[A-Z0-9_]+)"/g)]
    .map((m) => [m[2]!, m[1]!] as const)
    .filter(([, cls]) => cls in CLASS_EXIT);
  test.each(raised)("documents %s on the row of %s", (name, cls) => {
    expect(documented.get(name)).toBe(CLASS_EXIT[cls]);
  });

  test.each(Object.entries(CLASS_EXIT))("has a row for %s's exit code", (cls, exit) => {
    expect(doc).toMatch(new RegExp(`^\\| ${exit} \\| ${cls} \\|`, "m"));
  });
});
