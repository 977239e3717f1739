// Imports flow one way, types included (STYLE.md, docs/design.md): no file imports one
// that imports it back, and no folder imports a folder above it.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const root = join(import.meta.dir, "..");

// Static imports and re-exports (`import type` too) and dynamic `import("…")`.
const STATIC = /(?:^|[;}\n])[ \t]*(?:import|export)[ \t]+(?:type[ \t]+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/**
 * Every .ts file of lib/ and commands/ (relative to the repository) → the files it imports,
 * with or without the lazy `import()`s.
 */
function importGraph(lazy: boolean): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of ["lib", "commands"]) {
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      const path = join(dir, file);
      const source = readFileSync(join(root, path), "utf8");
      const specifiers = [...source.matchAll(STATIC), ...(lazy ? source.matchAll(DYNAMIC) : [])].map((m) => m[1]!);
      graph.set(path, specifiers.filter((s) => s.startsWith(".")).map((s) => normalize(join(dirname(path), s))));
    }
  }
  return graph;
}

/** The first cycle found, as a path that ends where it starts, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === "done") return null;
    if (state.get(file) === "open") return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, "done");
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

// Lowest first: a folder may import its own files and those of lower ranks only.
// STYLE.md: commands → instance → the rest; the rest builds on host.
const RANKS: [string, number][] = [
  ["lib/errors.ts", 0],
  ["lib/machine", 1],
  ["lib/host", 2],
  ["lib/guest", 3],
  ["lib/libvirt", 3],
  ["lib/image", 3],
  ["lib/cli", 3],
  ["lib/instance", 4],
  // The package's entry: what a library user imports, beside the CLI's commands.
  ["lib/index.ts", 5],
  ["commands", 5],
];

function area(file: string): [string, number] {
  const hit = RANKS.find(([prefix]) => file === prefix || file.startsWith(`${prefix}/`));
  if (!hit) throw new Error(`No rank for "${file}": add its folder to RANKS`);
  return hit;
}

const graph = importGraph(true);
const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => [from, to] as const));

describe("the import graph", () => {
  test("is read whole: every import names a file that exists, type-only and dynamic ones included", () => {
    expect(edges.filter(([, to]) => !existsSync(join(root, to)))).toEqual([]);
    // Guards the reader: these kinds of import must be among the edges.
    expect(edges).toContainEqual(["lib/image/_store.ts", "lib/image/_types.ts"]);
    expect(edges).toContainEqual(["commands/registry.ts", "commands/create.ts"]);
    expect(edges).toContainEqual(["lib/image/resolve/resolve-shortcut.ts", "lib/image/resolve/_types.ts"]);
    expect(edges.length).toBeGreaterThan(300);
  });

  test("has no cycle between files, type-only imports included", () => {
    // A lazy import() runs once every module is loaded, so it cannot see one half-made: the
    // verb registry may load a verb (completion) that lists the registry's verbs.
    expect(findCycle(importGraph(false))).toBeNull();
  });

  test("finds a cycle when there is one", () => {
    expect(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["b"]]]))).toEqual(["b", "c", "b"]);
  });

  test("flows down: commands → instance → guest, libvirt, image, cli → host → machine → errors", () => {
    // Only code counts: commands read package.json for the version.
    const upward = edges.filter(([from, to]) => {
      if (!graph.has(to)) return false;
      const [fromArea, fromRank] = area(from);
      const [toArea, toRank] = area(to);
      return fromArea !== toArea && toRank >= fromRank;
    });
    expect(upward.map(([from, to]) => `${from} -> ${to}`)).toEqual([]);
  });

  test("lib/host, lib/libvirt, lib/guest, lib/machine and lib/image never import lib/instance or commands/", () => {
    const lower = ["lib/host/", "lib/libvirt/", "lib/guest/", "lib/machine/", "lib/image/"];
    const bad = edges.filter(([from, to]) => lower.some((d) => from.startsWith(d)) && (to.startsWith("lib/instance/") || to.startsWith("commands/")));
    expect(bad).toEqual([]);
  });

  test("no file of lib/ or commands/ imports node:path, and only create's helpers node:os: each costs ≈1 ms of start-up", () => {
    const importing = (module: string) =>
      [...graph.keys()].filter((file) => new RegExp(`(?:from|import\\()\\s*["']${module}["']`).test(readFileSync(join(root, file), "utf8")));
    expect(importing("node:path")).toEqual([]);
    const creating = ["lib/guest/read-user-inputs.ts", "lib/host/qemu-user.ts", "lib/instance/build-machine.ts", "lib/instance/plan-instance.ts"];
    expect(importing("node:os").sort()).toEqual(creating);
  });

  test("citty is loaded only to print help: it loads node:util, ≈5 ms of every command's start-up", () => {
    const source = (file: string) => readFileSync(join(root, file), "utf8");
    const statically = [...graph.keys()].filter((file) => /^[ \t]*import[ \t]+(?!type[ \t])[^;]*?from[ \t]*["']citty["']/m.test(source(file)));
    const lazily = [...graph.keys()].filter((file) => /\bimport\(\s*["']citty["']\s*\)/.test(source(file)));
    expect({ statically, lazily }).toEqual({ statically: [], lazily: ["commands/_dispatch.ts"] });
  });
});
