import { describe, expect, test } from "bun:test";
import {
  AlreadyExistsError,
  DependencyError,
  ExitCode,
  ImageError,
  InterruptedError,
  LibvirtUnavailableError,
  NotFoundError,
  StateError,
  TestcloudError,
  TimeoutError,
  ToolError,
  UsageError,
} from "../lib/errors.ts";

describe("error classes", () => {
  const cases: [string, TestcloudError, number, string][] = [
    ["UsageError", new UsageError("m"), 2, "E_USAGE"],
    ["DependencyError", new DependencyError("m"), 3, "E_DEPENDENCY"],
    ["NotFoundError", new NotFoundError("m"), 4, "E_NOT_FOUND"],
    ["AlreadyExistsError", new AlreadyExistsError("m"), 5, "E_EXISTS"],
    ["ImageError", new ImageError("m"), 6, "E_IMAGE"],
    ["ToolError", new ToolError(["x"], 1, ""), 7, "E_TOOL"],
    ["TimeoutError", new TimeoutError("m"), 8, "E_TIMEOUT"],
    ["LibvirtUnavailableError", new LibvirtUnavailableError("m"), 9, "E_LIBVIRT_UNAVAILABLE"],
    ["StateError", new StateError("m"), 10, "E_STATE"],
    ["InterruptedError", new InterruptedError(), 130, "E_INTERRUPTED"],
  ];

  test.each(cases)("%s carries its name, exit code and code", (name, error, exitCode, code) => {
    expect(error).toBeInstanceOf(TestcloudError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.exitCode).toBe(exitCode);
    expect(error.code).toBe(code);
  });

  test("exit codes of the subclasses are all distinct and non-zero", () => {
    const codes = cases.map(([, error]) => error.exitCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain(ExitCode.ok);
  });

  test("details override the code and carry hint, detail and cause", () => {
    const cause = new Error("root cause");
    const error = new NotFoundError("Instance not found", {
      code: "E_INSTANCE_NOT_FOUND",
      hint: "testcloud list",
      detail: ["line 1"],
      cause,
    });
    expect(error.code).toBe("E_INSTANCE_NOT_FOUND");
    expect(error.exitCode).toBe(ExitCode.notFound);
    expect(error.hint).toBe("testcloud list");
    expect(error.detail).toEqual(["line 1"]);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("Instance not found");
  });

  test("InterruptedError has a default message", () => {
    expect(new InterruptedError().message).toBe("Interrupted");
  });
});

describe("ToolError", () => {
  test("message carries the command line, the exit code and the last line of stderr", () => {
    const error = new ToolError(["qemu-img", "info", "/x y"], 3, "warning: first\nerror: the real cause\n\n");
    expect(error.message).toBe("Command failed: qemu-img info /x y: exit 3: error: the real cause");
    expect(error.argv).toEqual(["qemu-img", "info", "/x y"]);
    expect(error.toolExitCode).toBe(3);
    expect(error.stderr).toBe("warning: first\nerror: the real cause\n\n");
    expect(error.exitCode).toBe(ExitCode.tool);
  });

  test("message ends after the exit code when stderr is empty or blank", () => {
    expect(new ToolError(["false"], 1, "").message).toBe("Command failed: false: exit 1");
    expect(new ToolError(["false"], 1, " \n \n").message).toBe("Command failed: false: exit 1");
  });
});
