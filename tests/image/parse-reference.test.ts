import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import { parseReference, type ImageReference } from "../../lib/image/parse-reference.ts";
import { useTempDirs } from "../_helpers.ts";

// A cwd that holds no files, so bare words are never shadowed by a path.
const EMPTY_CWD = "/nonexistent/testcloud-cwd";

describe("parseReference", () => {
  const cases: [string, ImageReference][] = [
    ["https://cloud.example.org/images/x.qcow2", { kind: "url", url: "https://cloud.example.org/images/x.qcow2" }],
    ["http://10.0.0.1:8080/a.img", { kind: "url", url: "http://10.0.0.1:8080/a.img" }],
    ["HTTPS://Example.ORG/A.qcow2", { kind: "url", url: "https://example.org/A.qcow2" }],
    ["https://example.org/a b.qcow2", { kind: "url", url: "https://example.org/a%20b.qcow2" }],
    ["file:///var/images/base.qcow2", { kind: "file", path: "/var/images/base.qcow2" }],
    ["file:///var/my%20images/x.raw", { kind: "file", path: "/var/my images/x.raw" }],
    ["/abs/path/disk.qcow2", { kind: "file", path: "/abs/path/disk.qcow2" }],
    ["disk.qcow2", { kind: "file", path: `${EMPTY_CWD}/disk.qcow2` }],
    ["images/disk.qcow2", { kind: "file", path: `${EMPTY_CWD}/images/disk.qcow2` }],
    ["./fedora", { kind: "file", path: `${EMPTY_CWD}/fedora` }],
    ["../up.raw", { kind: "file", path: "/nonexistent/up.raw" }],
    ["fedora", { kind: "shortcut", distro: "fedora", version: undefined }],
    ["debian:12", { kind: "shortcut", distro: "debian", version: "12" }],
    ["ubuntu:24.04", { kind: "shortcut", distro: "ubuntu", version: "24.04" }],
    ["centos-stream:10", { kind: "shortcut", distro: "centos-stream", version: "10" }],
  ];

  test.each(cases)("classifies %p", (ref, expected) => {
    expect(parseReference(ref, EMPTY_CWD)).toEqual(expected);
  });

  const usage: [string, string][] = [
    ["", "empty"],
    ["   ", "empty"],
    ["ftp://example.org/x.qcow2", "Unsupported URL scheme"],
    ["s3://bucket/x.qcow2", "Unsupported URL scheme"],
    ["https://", "Invalid image URL"],
    ["file://otherhost/x.qcow2", "Invalid file URL"],
  ];

  test.each(usage)("rejects %p with a UsageError", (ref, message) => {
    let error: unknown;
    try {
      parseReference(ref, EMPTY_CWD);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain(message);
    expect((error as UsageError).exitCode).toBe(2);
  });

  describe("with files in the current directory", () => {
    const tempDir = useTempDirs();

    test("a bare word that exists as a file is a path, not a shortcut", async () => {
      const cwd = await tempDir();
      await writeFile(join(cwd, "fedora"), "");
      expect(parseReference("fedora", cwd)).toEqual({ kind: "file", path: join(cwd, "fedora") });
    });

    test("a distro:version that exists as a file is a path", async () => {
      const cwd = await tempDir();
      await writeFile(join(cwd, "debian:12"), "");
      expect(parseReference("debian:12", cwd)).toEqual({ kind: "file", path: join(cwd, "debian:12") });
    });

    test("a bare word that does not exist in cwd stays a shortcut", async () => {
      const cwd = await tempDir();
      await mkdir(join(cwd, "other"));
      expect(parseReference("fedora", cwd)).toEqual({ kind: "shortcut", distro: "fedora", version: undefined });
    });

    test("a relative path resolves against cwd", async () => {
      const cwd = await tempDir();
      expect(parseReference("x/y.qcow2", cwd)).toEqual({ kind: "file", path: join(cwd, "x", "y.qcow2") });
    });
  });
});
