import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { consoleTail } from "../../lib/instance/console-tail.ts";
import { useTempDirs } from "../_helpers.ts";

describe("consoleTail", () => {
  const tempDir = useTempDirs();

  async function log(content: string | Uint8Array): Promise<string> {
    const path = join(await tempDir(), "console.log");
    await Bun.write(path, content);
    return path;
  }

  test("returns the last N lines", async () => {
    const path = await log(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n") + "\n");
    expect(await consoleTail(path, 3)).toEqual(["line 28", "line 29", "line 30"]);
  });

  test("returns 15 lines by default", async () => {
    const path = await log(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n"));
    const tail = await consoleTail(path);
    expect(tail).toHaveLength(15);
    expect(tail[0]).toBe("line 16");
  });

  test("strips carriage returns and ANSI escape sequences", async () => {
    const path = await log(
      "\x1b[2J\x1b[1;1HSeaBIOS (version 1.16.2)\r\n" +
        "\x1b[0m\x1b[1;32m[  OK  ]\x1b[0m Started \x1b[0;1;39mOpenSSH server\x1b[0m.\r\n" +
        "\x1b[?25lBooting\x1b[?25h\r\n",
    );
    expect(await consoleTail(path)).toEqual(["SeaBIOS (version 1.16.2)", "[  OK  ] Started OpenSSH server.", "Booting"]);
  });

  test("strips two-character escapes such as a terminal reset", async () => {
    const path = await log("\x1bcLinux version 6.1\n\x1bMup\n");
    expect(await consoleTail(path)).toEqual(["Linux version 6.1", "up"]);
  });

  test("drops trailing whitespace that screen-drawing output leaves", async () => {
    const path = await log("login:    \n");
    expect(await consoleTail(path)).toEqual(["login:"]);
  });

  test("skips blank lines, including lines that were only escapes", async () => {
    const path = await log("a\n\n   \n\x1b[0m\r\nb\n");
    expect(await consoleTail(path)).toEqual(["a", "b"]);
  });

  test("returns the end of a log larger than what it reads", async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `boot message number ${i}`);
    const path = await log(lines.join("\n") + "\n");
    expect(await consoleTail(path, 2)).toEqual(["boot message number 19998", "boot message number 19999"]);
  });

  test("is empty for a missing log", async () => {
    expect(await consoleTail(join(await tempDir(), "none.log"))).toEqual([]);
  });

  test("is empty for an empty log", async () => {
    expect(await consoleTail(await log(""))).toEqual([]);
  });
});
