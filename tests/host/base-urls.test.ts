import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { baseUrlsFromEnv, parseBaseUrls } from "../../lib/host/base-urls.ts";

describe("baseUrlsFromEnv", () => {
  test("gives no overrides when TESTCLOUD_MIRRORS is unset or empty", () => {
    expect(baseUrlsFromEnv({})).toEqual({});
    expect(baseUrlsFromEnv({ TESTCLOUD_MIRRORS: " " })).toEqual({});
  });

  test("reads a JSON object of upstream host to base URL", () => {
    const env = { TESTCLOUD_MIRRORS: '{"download.fedoraproject.org": "https://mirror.example.org/fedora/"}' };
    expect(baseUrlsFromEnv(env)).toEqual({ "download.fedoraproject.org": "https://mirror.example.org/fedora/" });
  });
});

describe("parseBaseUrls", () => {
  const bad: [string, string, string][] = [
    ["text that is not JSON", "{download", "Invalid TESTCLOUD_MIRRORS: not JSON"],
    ["an array", '["https://x"]', "Invalid TESTCLOUD_MIRRORS: expected a JSON object"],
    ["an unknown host", '{"fedora.org": "https://x"}', 'Unknown host in TESTCLOUD_MIRRORS: "fedora.org"'],
    ["a relative URL", '{"cloud.debian.org": "/srv/debian"}', 'Invalid base URL in TESTCLOUD_MIRRORS for "cloud.debian.org": "/srv/debian"'],
    ["an ftp URL", '{"cloud.debian.org": "ftp://x"}', 'Invalid base URL in TESTCLOUD_MIRRORS for "cloud.debian.org"'],
    ["a URL with a query", '{"cloud.debian.org": "https://x/?a=1"}', 'Invalid base URL in TESTCLOUD_MIRRORS for "cloud.debian.org"'],
    ["a number", '{"cloud.debian.org": 3}', 'Invalid base URL in TESTCLOUD_MIRRORS for "cloud.debian.org": 3'],
  ];

  test.each(bad)("refuses %s with a usage error", (_what, text, message) => {
    let error: unknown;
    try {
      parseBaseUrls(text, "TESTCLOUD_MIRRORS");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toStartWith(message);
    expect((error as UsageError).hint).toBeTruthy();
  });
});
