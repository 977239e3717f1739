import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { randomName, validateName } from "../../lib/instance/names.ts";

describe("validateName", () => {
  const valid = ["tiny", "a", "0", "web-1", "f42-test", "x".repeat(63), "123"];

  test.each(valid)("accepts %p", (name) => {
    expect(validateName(name)).toBe(name);
  });

  // A name becomes a directory, a libvirt domain name and the guest's hostname.
  const invalid: [string, string][] = [
    ["empty", ""],
    ["a space", "bad name"],
    ["a slash", "a/b"],
    ["a parent directory", ".."],
    ["a dot", "a.b"],
    ["a leading dot", ".hidden"],
    ["XML metacharacters", "a<b>&'\""],
    ["uppercase", "Tiny"],
    ["64 characters", "x".repeat(64)],
    ["a leading dash", "-rf"],
    ["an underscore", "a_b"],
    ["a trailing newline", "tiny\n"],
    ["non-ASCII", "tïny"],
    // RFC 1123: a hostname label ends with a letter or digit.
    ["a trailing dash", "tiny-"],
  ];

  test.each(invalid)("rejects a name with %s", (_label, name) => {
    let error: unknown;
    try {
      validateName(name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe("E_INVALID_NAME");
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toContain(JSON.stringify(name));
    expect((error as UsageError).hint).toBeDefined();
  });
});

describe("randomName", () => {
  test("is always a valid name, whatever the random source returns", () => {
    for (const value of [0, 0.5, 0.999999999, 1 - Number.EPSILON]) {
      expect(validateName(randomName(() => value))).toBe(randomName(() => value));
    }
  });

  test("with Math.random is valid and readable, many times over", () => {
    for (let i = 0; i < 1000; i++) {
      const name = randomName();
      expect(name).toMatch(/^[a-z]+-[a-z]+-[1-9][0-9]$/);
      validateName(name);
    }
  });

  test("is deterministic for a given random source", () => {
    expect(randomName(() => 0)).toBe("brave-otter-10");
  });
});
