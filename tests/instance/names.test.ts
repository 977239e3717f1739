import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { randomName, validateName } from "../../lib/instance/names.ts";

describe("validateName", () => {
  const valid = ["tiny", "a", "a0", "0a", "web-1", "f42-test", "x".repeat(63), "1-2", "deadbeef", "0".repeat(31) + "g", "a".repeat(33)];

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
    // virsh reads these as a domain ID or UUID before it tries the name.
    ["only digits (a domain ID)", "1"],
    ["only digits, long", "4294967296"],
    ["a UUID", "0b0e7a52-4c3f-4a8e-9d52-5c4b1d1f2e3a"],
    ["a UUID without dashes", "0b0e7a524c3f4a8e9d525c4b1d1f2e3a"],
    ["a UUID with dashes elsewhere", "0b0e-7a524c3f4a8e9d525c4b1d1f2e3a"],
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
