import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildIso, type IsoFile } from "../../lib/guest/iso9660.ts";

const DATE = new Date("2024-05-06T07:08:09.120Z");
const SECTOR = 2048;

/** Deterministic pseudo-random bytes, so failures reproduce. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const USER_DATA = noise(5000, 1); // spans three sectors
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i); // NULs, high bytes, CR/LF
const EXACT_SECTOR = noise(SECTOR, 2); // ends exactly on a sector boundary

const SEED_FILES: IsoFile[] = [
  { name: "user-data", data: USER_DATA },
  { name: "meta-data", data: "instance-id: iid-test\nlocal-hostname: test\n" },
  { name: "network-config", data: "" },
  { name: "vendor-data", data: BINARY },
  { name: "exact.sector", data: EXACT_SECTOR },
];

const EXPECTED: Record<string, Uint8Array> = {
  "user-data": USER_DATA,
  "meta-data": new TextEncoder().encode("instance-id: iid-test\nlocal-hostname: test\n"),
  "network-config": new Uint8Array(0),
  "vendor-data": BINARY,
  "exact.sector": EXACT_SECTOR,
};

const seed = () => buildIso({ volumeId: "cidata", files: SEED_FILES, date: DATE });

/** Host tools must exist: a missing one fails the test, naming the package to install. */
function tool(command: string, pkg: string): string {
  const path = Bun.which(command) ?? Bun.which(command, { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" });
  if (!path) throw new Error(`${command} not found: install the "${pkg}" package to run this test`);
  return path;
}

function run(argv: string[]): { stdout: string; stderr: string; bytes: Uint8Array } {
  const proc = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  const result = { stdout: proc.stdout.toString(), stderr: proc.stderr.toString(), bytes: new Uint8Array(proc.stdout) };
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${proc.exitCode}: ${result.stderr}`);
  return result;
}

const isoinfo = (...args: string[]) => run([tool("isoinfo", "genisoimage"), ...args]);
const xorriso = (...args: string[]) => run([tool("xorriso", "xorriso"), ...args]);

/** xorriso reports problems as SORRY/FAILURE/WARNING lines rather than through its exit code. */
function expectNoXorrisoComplaints(output: { stdout: string; stderr: string }): void {
  expect(`${output.stdout}\n${output.stderr}`).not.toMatch(/SORRY|FAILURE|WARNING|MISHAP|FATAL/);
}

let dir: string;
let seedPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iso9660-test-"));
  seedPath = join(dir, "seed.iso");
  writeFileSync(seedPath, seed());
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("buildIso input validation", () => {
  test.each(["user data", "a/b", "", "x".repeat(65), "é", ".", "..", "semi;colon"])(
    "rejects file name %p with a message naming it",
    (name) => {
      expect(() => buildIso({ volumeId: "cidata", files: [{ name, data: "" }] })).toThrow(/invalid ISO file name/);
    },
  );

  test("accepts a 64-character name and names made of every allowed character", () => {
    const files = [{ name: "a".repeat(64), data: "" }, { name: "Az09._-", data: "" }];
    expect(() => buildIso({ volumeId: "cidata", files })).not.toThrow();
  });

  test("rejects duplicate file names", () => {
    const files = [{ name: "user-data", data: "a" }, { name: "user-data", data: "b" }];
    expect(() => buildIso({ volumeId: "cidata", files })).toThrow('duplicate ISO file name "user-data"');
  });

  test.each(["", "x".repeat(33), "ci data", "cidata!", "ci.data"])("rejects volume id %p", (volumeId) => {
    expect(() => buildIso({ volumeId, files: [] })).toThrow(/invalid ISO volume id/);
  });

  test("rejects an invalid date", () => {
    expect(() => buildIso({ volumeId: "cidata", files: [], date: new Date("nope") })).toThrow(/ISO date/);
  });
});

describe("buildIso image layout", () => {
  const image = seed();
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const ascii = (offset: number, length: number) =>
    new TextDecoder("latin1").decode(image.subarray(offset, offset + length));

  test("output is whole 2048-byte sectors and matches the recorded volume space size in both byte orders", () => {
    expect(image.length % SECTOR).toBe(0);
    const pvd = 16 * SECTOR;
    expect(view.getUint32(pvd + 80, true) * SECTOR).toBe(image.length);
    expect(view.getUint32(pvd + 84, false) * SECTOR).toBe(image.length);
  });

  test("starts with a zeroed system area followed by primary, Joliet and terminator descriptors", () => {
    expect(image.subarray(0, 16 * SECTOR).every((b) => b === 0)).toBe(true);
    expect([16, 17, 18].map((s) => image[s * SECTOR])).toEqual([1, 2, 255]);
    for (const s of [16, 17, 18]) expect(ascii(s * SECTOR + 1, 5)).toBe("CD001");
    expect(ascii(17 * SECTOR + 88, 3)).toBe("%/E");
  });

  test("writes the volume id exactly as given, space-padded, and in UCS-2 for Joliet", () => {
    expect(ascii(16 * SECTOR + 40, 32)).toBe("cidata".padEnd(32, " "));
    expect(ascii(17 * SECTOR + 40, 32)).toBe([..."cidata".padEnd(16, " ")].map((c) => `\0${c}`).join(""));
  });

  test("is byte-for-byte deterministic for a fixed date, whatever the input order", () => {
    const reversed = buildIso({ volumeId: "cidata", files: [...SEED_FILES].reverse(), date: DATE });
    expect(Buffer.from(reversed).equals(Buffer.from(image))).toBe(true);
    const later = buildIso({ volumeId: "cidata", files: SEED_FILES, date: new Date("2025-01-01T00:00:00Z") });
    expect(Buffer.from(later).equals(Buffer.from(image))).toBe(false);
  });

  test("an image without files is still a valid empty volume", () => {
    const empty = buildIso({ volumeId: "cidata", files: [], date: DATE });
    expect(empty.length % SECTOR).toBe(0);
    const path = join(dir, "empty.iso");
    writeFileSync(path, empty);
    expect(isoinfo("-R", "-f", "-i", path).stdout.trim()).toBe("");
  });
});

describe("buildIso read back by isoinfo (genisoimage)", () => {
  test("reports volume id cidata with Rock Ridge and Joliet present", () => {
    const { stdout } = isoinfo("-d", "-i", seedPath);
    expect(stdout).toContain("Volume id: cidata\n");
    expect(stdout).toContain("Rock Ridge signatures version 1 found");
    expect(stdout).toContain("Joliet with UCS level 3 found");
    expect(stdout).toContain(`Volume size is: ${seed().length / SECTOR}\n`);
  });

  test.each([["-R"], ["-J"]])("lists the exact lowercase hyphenated names through %s", (flag) => {
    const names = isoinfo(flag, "-f", "-i", seedPath).stdout.trim().split("\n").sort();
    expect(names).toEqual(["/exact.sector", "/meta-data", "/network-config", "/user-data", "/vendor-data"]);
  });

  test("derives unique uppercase 8.3 names for readers without extensions", () => {
    const files = [
      { name: "user-data", data: "a" },
      { name: "user-data2", data: "b" },
      { name: "meta-data", data: "c" },
      { name: "archive.tar.gz", data: "d" },
    ];
    const path = join(dir, "short.iso");
    writeFileSync(path, buildIso({ volumeId: "cidata", files, date: DATE }));
    const names = isoinfo("-f", "-i", path).stdout.trim().split("\n").sort();
    expect(names).toEqual(["/ARCHIVE_.GZ;1", "/META_DAT.;1", "/USER_DA1.;1", "/USER_DAT.;1"]);
    expect(isoinfo("-R", "-x", "/user-data2", "-i", path).stdout).toBe("b");
  });

  test.each(Object.keys(EXPECTED))("extracts %s byte-identical through Rock Ridge and Joliet", (name) => {
    for (const flag of ["-R", "-J"]) {
      const { bytes } = isoinfo(flag, "-x", `/${name}`, "-i", seedPath);
      expect(Buffer.from(bytes).equals(Buffer.from(EXPECTED[name]!))).toBe(true);
    }
  });

  test("handles enough files that the directories span several sectors", () => {
    const files = Array.from({ length: 60 }, (_, i) => ({
      name: `file-${String(i).padStart(2, "0")}-${"long-name-".repeat(4)}`,
      data: `content ${i}\n`,
    }));
    const path = join(dir, "many.iso");
    writeFileSync(path, buildIso({ volumeId: "cidata", files, date: DATE }));
    const expected = files.map((f) => `/${f.name}`).sort();
    expect(isoinfo("-R", "-f", "-i", path).stdout.trim().split("\n").sort()).toEqual(expected);
    expect(isoinfo("-J", "-f", "-i", path).stdout.trim().split("\n").sort()).toEqual(expected);
    expect(isoinfo("-R", "-x", `/${files[59]!.name}`, "-i", path).stdout).toBe("content 59\n");
    const listing = xorriso("-indev", path, "-find", "/", "-type", "f", "--");
    expectNoXorrisoComplaints(listing);
    expect(listing.stdout.trim().split("\n").length).toBe(60);
  });
});

describe("buildIso read back by xorriso (libisofs)", () => {
  test("loads the Rock Ridge tree without complaints and sees the real names", () => {
    const result = xorriso("-indev", seedPath, "-lsl", "/", "--");
    expectNoXorrisoComplaints(result);
    for (const name of Object.keys(EXPECTED)) expect(result.stdout).toContain(`'${name}'`);
    expect(result.stdout).toMatch(/-r--r--r-- +1 0 +0 +5000 .*'user-data'/);
  });

  test("reports that both Rock Ridge and Joliet are offered", () => {
    const result = xorriso("-indev", seedPath, "-toc");
    expectNoXorrisoComplaints(result);
    expect(result.stdout).toContain("ISO offers   : Rock_Ridge Joliet");
    expect(result.stdout).toMatch(/ISO session +: +1 , +0 , +\d+s , cidata/);
  });

  test.each(Object.keys(EXPECTED))("extracts %s byte-identical", (name) => {
    const out = join(dir, `xorriso-${name}`);
    const result = xorriso("-osirrox", "on", "-indev", seedPath, "-extract", `/${name}`, out);
    expectNoXorrisoComplaints(result);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(EXPECTED[name]!))).toBe(true);
  });
});

describe("buildIso probed by blkid (util-linux)", () => {
  test("is detected as TYPE=iso9660 with LABEL=cidata", () => {
    const { stdout } = run([tool("blkid", "util-linux"), "-p", "-o", "export", seedPath]);
    expect(stdout.split("\n")).toContain("TYPE=iso9660");
    expect(stdout.split("\n")).toContain("LABEL=cidata");
  });
});
