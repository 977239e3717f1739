import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NotFoundError, TestcloudError, UsageError } from "../../lib/errors.ts";
import { readPassword, type PasswordOptions } from "../../lib/guest/read-password.ts";
import { run } from "../../lib/host/run.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

async function passwordFile(data: string | Uint8Array): Promise<string> {
  const path = join(await tempDir(), "password");
  await writeFile(path, data);
  return path;
}

/** A stdin that delivers `chunks` and then stays open, like a terminal or a pipe whose writer waits. */
function openStdin(...chunks: string[]): () => ReadableStream<Uint8Array> {
  return () =>
    new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
}

async function failure(options: PasswordOptions): Promise<TestcloudError> {
  const error = await readPassword(options).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(TestcloudError);
  return error as TestcloudError;
}

describe("readPassword from --password-file", () => {
  const files: [string, string, string][] = [
    ["one trailing newline", "s3cret\n", "s3cret"],
    ["no newline at all", "s3cret", "s3cret"],
    ["a CRLF line ending", "s3cret\r\n", "s3cret"],
    ["further lines, ignored", "s3cret\nsecond line\n", "s3cret"],
    ["spaces kept as part of the password", "  two words \t\n", "  two words \t"],
    ["unicode", "pässwörd-日本\n", "pässwörd-日本"],
  ];

  test.each(files)("reads the first line of a file with %s", async (_label, data, expected) => {
    expect(await readPassword({ passwordFile: await passwordFile(data) })).toBe(expected);
  });

  test("reads the first line of stdin for - and stops there without waiting for the end", async () => {
    expect(await readPassword({ passwordFile: "-", stdin: openStdin("s3c", "ret\nrest") })).toBe("s3cret");
  });

  test("reads stdin to its end when it has no newline", async () => {
    const stdin = () => new Response("s3cret").body!;
    expect(await readPassword({ passwordFile: "-", stdin })).toBe("s3cret");
  });

  test("returns --password as given, and nothing when neither option is given", async () => {
    expect(await readPassword({ password: "s3cret" })).toBe("s3cret");
    expect(await readPassword({})).toBeUndefined();
  });
});

describe("readPassword refuses", () => {
  test("--password together with --password-file, as a usage error naming both", async () => {
    const error = await failure({ password: "a", passwordFile: await passwordFile("b\n") });
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe("E_USAGE");
    expect(error.message).toBe("Use either --password or --password-file, not both");
  });

  test.each([["an empty file", ""], ["an empty first line", "\nsecond\n"], ["a lone CRLF", "\r\n"]])("%s", async (_label, data) => {
    const path = await passwordFile(data);
    const error = await failure({ passwordFile: path });
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe("E_PASSWORD_INVALID");
    expect(error.message).toBe(`Invalid password: "${path}": the first line is empty`);
  });

  test("an empty first line on stdin", async () => {
    const error = await failure({ passwordFile: "-", stdin: openStdin("\n") });
    expect(error.message).toBe("Invalid password: stdin: the first line is empty");
  });

  test("an empty --password", async () => {
    expect((await failure({ password: "" })).code).toBe("E_PASSWORD_INVALID");
  });

  test("a file that is not UTF-8, and stdin that is not", async () => {
    expect((await failure({ passwordFile: await passwordFile(Uint8Array.of(0xff, 0xfe, 0x0a)) })).code).toBe("E_PASSWORD_INVALID");
    const stdin = () => new Response(Uint8Array.of(0xff, 0x0a)).body!;
    expect((await failure({ passwordFile: "-", stdin })).message).toBe("Invalid password: stdin: it is not UTF-8 text");
  });

  test("stdin without a line ending in its first 64 KiB", async () => {
    const error = await failure({ passwordFile: "-", stdin: openStdin("x".repeat(40_000), "x".repeat(40_000)) });
    expect(error.message).toBe("Invalid password: stdin: no line ending in the first 65536 bytes");
  });

  const notFiles: [string, () => Promise<string>, string][] = [
    ["a missing file", async () => join(await tempDir(), "missing"), "Password file not found: "],
    ["a directory", () => tempDir(), "Not a file: password "],
    ["a path through a regular file", async () => join(await passwordFile("x\n"), "below"), "Password file not found: "],
    [
      "a FIFO, which is not a regular file",
      async () => {
        const path = join(await tempDir(), "fifo");
        await run([requireTool("mkfifo", "coreutils"), path]);
        return path;
      },
      "Not a file: password ",
    ],
  ];

  test.each(notFiles)("%s, as a not-found error naming it", async (_label, make, message) => {
    const path = await make();
    const error = await failure({ passwordFile: path });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.code).toBe("E_PASSWORD_FILE_NOT_FOUND");
    expect(error.message).toBe(`${message}"${path}"`);
  });
});
