import { describe, expect, test } from "bun:test";
import { counted, readHeader } from "../../lib/instance/_copy-stream.ts";

const encode = (text: string) => new TextEncoder().encode(text);
/** A stream of these chunks, in order. */
const chunks = (...parts: (string | Uint8Array)[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(typeof part === "string" ? encode(part) : part);
      controller.close();
    },
  });
const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();

describe("readHeader", () => {
  test("splits the first line from the data, in whatever chunks they come", async () => {
    const cases = [["12 644 ab\nDATA", "more"], ["12 6", "44 ab", "\n", "DATAmore"], ["12 644 ab\n", "DATAmore"]];
    for (const parts of cases) {
      const split = await readHeader(chunks(...parts));
      expect(split?.header).toBe("12 644 ab");
      expect(await text(split!.rest)).toBe("DATAmore");
    }
  });

  test("keeps binary data after the line byte for byte", async () => {
    const data = new Uint8Array(256).map((_, i) => i);
    const split = await readHeader(chunks(encode("1\n"), data.subarray(0, 100), data.subarray(100)));
    expect(new Uint8Array(await new Response(split!.rest).arrayBuffer())).toEqual(data);
  });

  test("is null when the stream ends before a line, or the line never ends", async () => {
    expect(await readHeader(chunks("no newline"))).toBeNull();
    expect(await readHeader(chunks())).toBeNull();
    expect(await readHeader(chunks("x".repeat(5000), "\n"))).toBeNull();
  });
});

describe("counted", () => {
  test("reports each chunk's size and passes the data on unchanged", async () => {
    const sizes: number[] = [];
    expect(await text(counted(chunks("ab", "cde"), (n) => sizes.push(n)))).toBe("abcde");
    expect(sizes).toEqual([2, 3]);
  });
});
