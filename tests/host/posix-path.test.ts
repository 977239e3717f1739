import { describe, expect, test } from "bun:test";
import * as node from "node:path";
import { basename, dirname, isAbsolute, join, normalize, resolve } from "../../lib/host/posix-path.ts";

// Every path of up to four segments from these pieces, with and without a leading or
// trailing slash: the corner cases node:path documents (".", "..", "//", empty segments).
const PIECES = ["", ".", "..", "a", "bc", "...", ".d", "/", "//", "a b"];
function* corpus(): Generator<string> {
  const walk = function* (prefix: string, depth: number): Generator<string> {
    yield prefix;
    if (depth === 0) return;
    for (const piece of PIECES) yield* walk(prefix === "" ? piece : `${prefix}/${piece}`, depth - 1);
  };
  const seen = new Set<string>();
  for (const path of walk("", 4)) for (const variant of [path, `/${path}`, `${path}/`]) seen.add(variant);
  yield* seen;
}
const PATHS = [...corpus()];

describe("the POSIX path functions give node:path's results", () => {
  test("on a corpus of paths", () => {
    expect(PATHS.length).toBeGreaterThan(10_000);
    for (const fn of ["normalize", "dirname", "basename", "isAbsolute"] as const) {
      const ours = { normalize, dirname, basename, isAbsolute }[fn];
      const differs = PATHS.filter((p) => ours(p) !== node.posix[fn](p));
      expect([fn, differs.slice(0, 5).map((p) => [p, ours(p), node.posix[fn](p)])]).toEqual([fn, []]);
    }
  });

  test("join and resolve of pairs and triples, relative ones on top of the working directory", () => {
    const some = PATHS.filter((_, i) => i % 97 === 0);
    for (const a of some) {
      for (const b of some) {
        expect([a, b, join(a, b)]).toEqual([a, b, node.posix.join(a, b)]);
        expect([a, b, resolve(a, b)]).toEqual([a, b, node.posix.resolve(a, b)]);
        expect([a, b, join(a, b, "c")]).toEqual([a, b, node.posix.join(a, b, "c")]);
      }
    }
    expect([join(), resolve()]).toEqual([".", process.cwd()]);
  });
});
