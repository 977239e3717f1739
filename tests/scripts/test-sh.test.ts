// CI runs scripts/test.sh; bun runs TypeScript without checking types, so the script must.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const lines = (await Bun.file(join(root, "scripts/test.sh")).text()).split("\n").map((line) => line.trim());

describe("scripts/test.sh", () => {
  test("type-checks with tsc --noEmit under set -e, before it builds or runs a test", () => {
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(at(/^set -euo pipefail$/)).toBeGreaterThanOrEqual(0);
    expect(at(/^tsc --noEmit$/)).toBeGreaterThan(at(/^set -euo pipefail$/));
    expect(at(/^tsc --noEmit$/)).toBeLessThan(at(/^bun run build$/));
    expect(at(/^tsc --noEmit$/)).toBeLessThan(at(/^TMPDIR=\$tmp bun test /));
  });

  test("runs the tests with TMPDIR at a fresh dir QEMU can traverse, and fails the run on what they leave in it", () => {
    const at = (line: string) => lines.indexOf(line);
    expect(at("tmp=$(mktemp -d -t testcloud-tests.XXXXXX)")).toBeGreaterThan(0);
    expect(at('chmod 0711 "$tmp"')).toBeGreaterThan(at("tmp=$(mktemp -d -t testcloud-tests.XXXXXX)"));
    expect(at(`trap 'rm -f "$log"; rm -rf --one-file-system "$tmp"' EXIT`)).toBeGreaterThan(at('chmod 0711 "$tmp"'));
    expect(at('TMPDIR=$tmp bun test "$@" 2>&1 | tee "$log"')).toBeGreaterThan(at('chmod 0711 "$tmp"'));
    expect(at('bash scripts/test-leftovers.sh "$tmp"')).toBeGreaterThan(at('TMPDIR=$tmp bun test "$@" 2>&1 | tee "$log"'));
    // The summary stays the closing line; the leftovers' status is the script's last word.
    expect(at('bash scripts/test-summary.sh "$log" "$status"')).toBeGreaterThan(at('bash scripts/test-leftovers.sh "$tmp"'));
    expect(lines.filter((line) => line !== "").at(-1)).toBe('exit "$left"');
  });
});
