import { describe, expect, test } from "bun:test";
import { ImageError } from "../../../lib/errors.ts";
import { fetchOptionalText, fetchText, parseJson } from "../../../lib/image/resolve/_fetch-text.ts";
import { useFixtureServer } from "./_fixture-server.ts";

const server = useFixtureServer();

describe("fetchText and fetchOptionalText", () => {
  test("return the body of a 2xx answer", async () => {
    server.override("/ok", () => new Response("SHA256 (x) = y\n"));
    expect(await fetchText(`${server.origin}/ok`)).toBe("SHA256 (x) = y\n");
    expect(await fetchOptionalText(`${server.origin}/ok`)).toBe("SHA256 (x) = y\n");
  });

  test("follow redirects, as mirror managers send them", async () => {
    server.override("/moved", () => Response.redirect("/ok", 302));
    server.override("/ok", () => new Response("here"));
    expect(await fetchText(`${server.origin}/moved`)).toBe("here");
  });

  const statuses: [number, string | null][] = [
    [404, null],
    [410, null],
    [403, "HTTP 403"],
    [500, "HTTP 500"],
  ];

  test.each(statuses)("HTTP %p: fetchOptionalText gives null only for a missing file", async (status, detail) => {
    server.override("/status", () => new Response("no", { status }));
    const url = `${server.origin}/status`;
    const optional = await fetchOptionalText(url).catch((e: unknown) => e);
    if (detail === null) expect(optional).toBeNull();
    else expect(optional).toMatchObject({ code: "E_INDEX_UNAVAILABLE", message: `Image index unavailable: "${url}": ${detail}` });
    const required = await fetchText(url).catch((e: unknown) => e);
    expect(required).toBeInstanceOf(ImageError);
    expect(required).toMatchObject({ code: "E_INDEX_UNAVAILABLE", message: `Image index unavailable: "${url}": HTTP ${status}` });
  });

  test("a body cut short of its Content-Length is unavailable, not a shorter index", async () => {
    // A raw socket: the header promises 1000 bytes, 7 arrive, then the connection closes.
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          socket.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[1, 2,");
        },
      },
    });
    try {
      const url = `http://127.0.0.1:${listener.port}/releases.json`;
      const error = await fetchText(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageError);
      expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE" });
      expect((error as ImageError).message).toStartWith(`Image index unavailable: "${url}": `);
    } finally {
      listener.stop(true);
    }
  });
});

describe("parseJson", () => {
  test("parses JSON", () => {
    expect(parseJson('{"a": [1]}', "https://x/i.json")).toEqual({ a: [1] });
  });

  test.each(["", "{", "<html></html>", '{"a": 1'])("refuses %p as a malformed index naming the URL", (text) => {
    expect(() => parseJson(text, "https://x/i.json")).toThrow(/^Malformed image index: "https:\/\/x\/i\.json": not valid JSON/);
  });
});
