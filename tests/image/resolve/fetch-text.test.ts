import { describe, expect, test } from "bun:test";
import { ImageError, InterruptedError, NotFoundError } from "../../../lib/errors.ts";
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
    const optional = await fetchOptionalText(url, { retryDelayMs: 1 }).catch((e: unknown) => e);
    if (detail === null) expect(optional).toBeNull();
    else expect(optional).toMatchObject({ code: "E_INDEX_UNAVAILABLE", message: `Image index unavailable: "${url}": ${detail}` });
    const required = await fetchText(url, { retryDelayMs: 1 }).catch((e: unknown) => e);
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

describe("fetchText retries", () => {
  /** Answers `failures` times with `status`, then with the text "ok". */
  const flaky = (failures: number, status: number) => {
    let count = 0;
    return () => (count++ < failures ? new Response("busy", { status }) : new Response("ok"));
  };
  const hits = (path: string) => server.requests.filter((p) => p === path).length;

  test.each([408, 429, 500, 502, 503, 504])("an HTTP %p answer is retried, and the answer after it used", async (status) => {
    server.override("/flaky", flaky(2, status));
    expect(await fetchText(`${server.origin}/flaky`, { retryDelayMs: 1 })).toBe("ok");
    expect(hits("/flaky")).toBe(3);
  });

  test("gives up after three attempts with the last status", async () => {
    server.override("/down", flaky(99, 503));
    const error = await fetchText(`${server.origin}/down`, { retryDelayMs: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", message: `Image index unavailable: "${server.origin}/down": HTTP 503` });
    expect(hits("/down")).toBe(3);
  });

  test.each([403, 404, 410])("an HTTP %p answer is not retried", async (status) => {
    server.override("/gone", flaky(99, status));
    await fetchText(`${server.origin}/gone`, { retryDelayMs: 1 }).catch(() => {});
    expect(hits("/gone")).toBe(1);
  });

  test("waits longer before each retry", async () => {
    const times: number[] = [];
    server.override("/slow", () => (times.push(performance.now()), new Response("", { status: 500 })));
    await fetchText(`${server.origin}/slow`, { retryDelayMs: 60 }).catch(() => {});
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(55);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(115);
  });

  test("a connection closed without an answer is retried", async () => {
    // The first two connections close at once; the third gets an index.
    let connections = 0;
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          if (++connections <= 2) socket.end();
        },
        data(socket) {
          socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        },
      },
    });
    try {
      expect(await fetchText(`http://127.0.0.1:${listener.port}/i`, { retryDelayMs: 1 })).toBe("ok");
      expect(connections).toBe(3);
    } finally {
      listener.stop(true);
    }
  });

  test("the timeout covers the retries: a server that keeps failing is given up on in time", async () => {
    server.override("/down", flaky(99, 503));
    const start = performance.now();
    const error = await fetchText(`${server.origin}/down`, { retryDelayMs: 5_000, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE" });
    expect((error as ImageError).message).toContain("no complete answer within 0.3 s");
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  test("an error of ours from the fetch is final: thrown as it is, not retried", async () => {
    let calls = 0;
    const refusing = (() => (calls++, Promise.reject(new NotFoundError("no", { code: "E_NOT_CACHED" })))) as unknown as typeof fetch;
    const error = await fetchText(`${server.origin}/ok`, { fetch: refusing, retryDelayMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(calls).toBe(1);
  });

  test("offline, fails at once with E_NOT_CACHED and connects to nothing", async () => {
    const error = await fetchOptionalText(`${server.origin}/ok`, { offline: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_NOT_CACHED", exitCode: 4, message: `Not fetched offline: "${server.origin}/ok"` });
    expect(server.requests).toEqual([]);
  });

  test("an interrupt between retries is an InterruptedError, with no further request", async () => {
    const controller = new AbortController();
    server.override("/down", () => (controller.abort(), new Response("", { status: 503 })));
    const error = await fetchText(`${server.origin}/down`, { retryDelayMs: 20, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(hits("/down")).toBe(1);
  });
});

describe("fetchText redirects under the http policy", () => {
  test("checks each hop before requesting it: a redirect to plain http on another host is never requested", async () => {
    server.override("/away", () => Response.redirect("http://198.51.100.7/index.json", 302));
    const requested: string[] = [];
    const recording = ((url: string, init: RequestInit) => (requested.push(String(url)), fetch(url, init))) as typeof fetch;
    const error = await fetchText(`${server.origin}/away`, { fetch: recording }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_INSECURE_HTTP" });
    expect(requested).toEqual([`${server.origin}/away`]);
  });

  test("follows a chain of redirects hop by hop, each through the given fetch", async () => {
    server.override("/one", () => Response.redirect("/two", 301));
    server.override("/two", () => Response.redirect("/ok", 307));
    server.override("/ok", () => new Response("here"));
    const requested: string[] = [];
    const recording = ((url: string, init: RequestInit) => (requested.push(new URL(url).pathname), fetch(url, init))) as typeof fetch;
    expect(await fetchText(`${server.origin}/one`, { fetch: recording })).toBe("here");
    expect(requested).toEqual(["/one", "/two", "/ok"]);
  });

  test("a 304 or a redirect without a Location is no index", async () => {
    server.override("/nowhere", () => new Response(null, { status: 302 }));
    const error = await fetchText(`${server.origin}/nowhere`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_INDEX_UNAVAILABLE", message: `Image index unavailable: "${server.origin}/nowhere": HTTP 302` });
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
