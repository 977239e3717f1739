import { describe, expect, test } from "bun:test";
import { UsageError } from "../../lib/errors.ts";
import { hostArch, parseArch } from "../../lib/machine/arch.ts";

describe("parseArch", () => {
  const cases: [string, string][] = [
    ["x86_64", "x86_64"],
    ["aarch64", "aarch64"],
    ["ppc64le", "ppc64le"],
    ["s390x", "s390x"],
    ["amd64", "x86_64"],
    ["ARM64", "aarch64"],
    ["ppc64el", "ppc64le"],
  ];

  test.each(cases)("reads %p as %p", (value, arch) => {
    expect(parseArch(value)).toBe(arch as ReturnType<typeof parseArch>);
  });

  test.each(["", "i686", "riscv64"])("refuses %p with a usage error", (value) => {
    expect(() => parseArch(value)).toThrow(UsageError);
  });
});

describe("hostArch", () => {
  test.each([["x64", "x86_64"], ["arm64", "aarch64"], ["ppc64", "ppc64le"], ["s390x", "s390x"]])(
    "maps node's %p to %p",
    (node, arch) => {
      expect(hostArch(node)).toBe(arch as ReturnType<typeof hostArch>);
    },
  );

  test("refuses a host architecture no distro image exists for", () => {
    expect(() => hostArch("ia32")).toThrow('Unsupported host architecture: "ia32"');
  });
});
