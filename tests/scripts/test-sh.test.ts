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
    expect(at(/^tsc --noEmit$/)).toBeLessThan(at(/^bun test /));
  });
});
