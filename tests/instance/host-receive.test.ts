// The host side of a download: whatever a guest sends, nothing lands outside the
// destination, nothing partial stays, and no device or privilege comes along.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AlreadyExistsError, ToolError } from "../../lib/errors.ts";
import { spawnStreaming } from "../../lib/host/spawn-streaming.ts";
import { receiveFile, receiveTree } from "../../lib/instance/_host-receive.ts";
import type { Step } from "../../lib/instance/_copy-guest.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();
const step: Step = { name: "web", words: ["cat", "/x"], shown: "/dest" };
const ok = async () => {};
/** A stream that yields `data` in chunks of `size` bytes. */
function chunked(data: Uint8Array, size = 7): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= data.length) return controller.close();
      controller.enqueue(data.slice(at, (at += size)));
    },
  });
}
const bytes = (text: string) => new TextEncoder().encode(text);

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

describe("receiveFile", () => {
  const data = bytes("the file's content\n".repeat(50));
  const expected = { size: data.length, mode: 0o640 };
  const writes = (sent: Uint8Array) => async (fd: number) => void writeSync(fd, sent);

  test("keeps what the sender wrote with the guest's permission bits, replacing an older file", async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, "f"), "old");
    await receiveFile(join(dir, "f"), expected, step, writes(data));
    expect(readFileSync(join(dir, "f"))).toEqual(Buffer.from(data));
    expect(statSync(join(dir, "f")).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(["f"]);
  });

  test("a tool can write the file itself through the descriptor", async () => {
    const dir = await tempDir();
    await receiveFile(join(dir, "f"), { size: 5, mode: 0o644 }, step, async (fd) => {
      await spawnStreaming(["printf", "hello"], { stdout: fd }).finished;
    });
    expect(readFileSync(join(dir, "f"), "utf8")).toBe("hello");
  });

  test("never sets setuid, setgid or sticky bits a guest announces", async () => {
    const dir = await tempDir();
    await receiveFile(join(dir, "f"), { ...expected, mode: 0o6755 }, step, writes(data));
    expect(statSync(join(dir, "f")).mode & 0o7777).toBe(0o755);
  });

  const broken: [string, Uint8Array, string][] = [
    ["a cut-off stream", data.subarray(0, 100), "received 100 of"],
    ["a longer stream", new Uint8Array([...data, 1, 2, 3]), `received ${data.length + 3} of`],
    ["an empty stream", new Uint8Array(0), "received 0 of"],
  ];
  test.each(broken)("keeps nothing of %s, and the older file stays", async (_what, sent, message) => {
    const dir = await tempDir();
    writeFileSync(join(dir, "f"), "old");
    const error = await failure(receiveFile(join(dir, "f"), expected, step, writes(sent)));
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({ code: "E_COPY_INCOMPLETE", exitCode: 7 });
    expect(error.message).toContain(message);
    expect(readdirSync(dir)).toEqual(["f"]);
    expect(readFileSync(join(dir, "f"), "utf8")).toBe("old");
  });

  test("keeps nothing when the sender fails after writing everything", async () => {
    const dir = await tempDir();
    const error = await failure(
      receiveFile(join(dir, "f"), expected, step, async (fd) => {
        writeSync(fd, data);
        throw new ToolError(["ssh"], 255, "Connection reset");
      }),
    );
    expect(error.message).toContain("Connection reset");
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a destination directory that does not exist is not found (exit 4)", async () => {
    const dir = await tempDir();
    const error = await failure(receiveFile(join(dir, "nope/f"), expected, step, writes(data)));
    expect(error).toMatchObject({ exitCode: 4 });
  });
});

/** One ustar member: header + data padded to 512 bytes. */
function member(name: string, type: string, options: { data?: string; link?: string; mode?: number; major?: number } = {}): Uint8Array {
  const data = bytes(options.data ?? "");
  const header = new Uint8Array(512);
  const put = (at: number, text: string) => header.set(bytes(text), at);
  const octal = (at: number, width: number, n: number) => put(at, n.toString(8).padStart(width - 1, "0"));
  put(0, name);
  octal(100, 8, options.mode ?? 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, data.length);
  octal(136, 12, 1_700_000_000);
  put(148, "        ");
  put(156, type);
  put(157, options.link ?? "");
  put(257, "ustar\u000000");
  octal(329, 8, options.major ?? 0);
  octal(337, 8, options.major === undefined ? 0 : 3);
  octal(148, 7, header.reduce((sum, b) => sum + b, 0));
  const padded = new Uint8Array(512 + Math.ceil(data.length / 512) * 512);
  padded.set(header);
  padded.set(data, 512);
  return padded;
}
const archive = (...members: Uint8Array[]) => new Uint8Array(Buffer.concat([...members, new Uint8Array(1024)]));

describe("receiveTree", () => {
  const good = () => archive(member("./", "5", { mode: 0o755 }), member("./a.txt", "0", { data: "alpha" }), member("./sub/", "5"), member("./sub/b", "0", { data: "bb" }));

  test("unpacks into a new directory with the guest directory's mode", async () => {
    const dir = await tempDir();
    await receiveTree(chunked(good(), 100), join(dir, "copy"), { entries: 4, bytes: 7, mode: 0o750 }, { step, senderDone: ok });
    expect(readFileSync(join(dir, "copy/sub/b"), "utf8")).toBe("bb");
    expect(statSync(join(dir, "copy")).mode & 0o777).toBe(0o750);
    expect(readdirSync(dir)).toEqual(["copy"]);
  });

  test("keeps nothing when the counts differ from what the guest announced", async () => {
    const dir = await tempDir();
    const error = await failure(receiveTree(chunked(good()), join(dir, "copy"), { entries: 5, bytes: 7, mode: 0o755 }, { step, senderDone: ok }));
    expect(error).toMatchObject({ code: "E_COPY_INCOMPLETE" });
    expect(readdirSync(dir)).toEqual([]);
  });

  test("never merges into an existing directory", async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, "copy"));
    const error = await failure(receiveTree(chunked(good()), join(dir, "copy"), { entries: 4, bytes: 7, mode: 0o755 }, { step, senderDone: ok }));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(readdirSync(join(dir, "copy"))).toEqual([]);
  });

  test("a symlink out of the copy cannot carry a file outside it", async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    const stream = archive(member("./", "5"), member("./evil", "2", { link: outside }), member("./evil/pwned", "0", { data: "x" }));
    await failure(receiveTree(chunked(stream), join(dir, "copy"), { entries: 3, bytes: 1, mode: 0o755 }, { step, senderDone: ok }));
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("names with .. or a leading / stay inside the copy", async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    const stream = archive(member("./", "5"), member(`../${outside.split("/").pop()}/up`, "0", { data: "x" }), member(`${outside}/abs`, "0", { data: "y" }));
    await receiveTree(chunked(stream), join(dir, "copy"), { entries: 1, bytes: 0, mode: 0o755 }, { step, senderDone: ok }).catch(() => {});
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dir).filter((f) => f !== "copy")).toEqual([]);
  });

  test.each([
    ["a character device", member("./null", "3", { major: 1, mode: 0o666 })],
    ["a fifo", member("./fifo", "6")],
  ])("refuses %s and keeps nothing", async (_what, special) => {
    const dir = await tempDir();
    const error = await failure(receiveTree(chunked(archive(member("./", "5"), special)), join(dir, "copy"), { entries: 2, bytes: 0, mode: 0o755 }, { step, senderDone: ok }));
    expect(error.message).toContain("refusing a device, fifo or socket");
    expect(readdirSync(dir)).toEqual([]);
  });

  test("strips setuid, setgid and sticky bits", async () => {
    const dir = await tempDir();
    const stream = archive(member("./", "5"), member("./suid", "0", { data: "#!/bin/sh\n", mode: 0o4755 }), member("./sticky/", "5", { mode: 0o3777 }));
    await receiveTree(chunked(stream), join(dir, "copy"), { entries: 3, bytes: 10, mode: 0o755 }, { step, senderDone: ok });
    expect(statSync(join(dir, "copy/suid")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, "copy/sticky")).mode & 0o7777).toBe(0o777);
  });

  test("keeps nothing when the sender fails", async () => {
    const dir = await tempDir();
    const senderDone = async () => Promise.reject(new ToolError(["ssh"], 1, "tar: short read"));
    await failure(receiveTree(chunked(good()), join(dir, "copy"), { entries: 4, bytes: 7, mode: 0o755 }, { step, senderDone }));
    expect(existsSync(join(dir, "copy"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
