import { describe, expect, test } from "bun:test";
import { bytes, progressPrinter, type ImageProgress } from "../../lib/image/progress.ts";

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  let clock = 0;
  const print = progressPrinter({ isTTY, write: (text: string) => writes.push(text) }, () => clock);
  return { writes, print, advance: (ms: number) => void (clock += ms) };
}

const MiB = 1 << 20;
const event = (bytes: number, extra: Partial<ImageProgress> = {}): ImageProgress => ({
  phase: "download",
  source: "https://example.org/images/disk.qcow2",
  bytes,
  total: 100 * MiB,
  resumedFrom: 0,
  done: false,
  ...extra,
});

describe("progressPrinter", () => {
  test("without a TTY prints one summary line per phase and nothing else", () => {
    const { writes, print, advance } = recorder(false);
    print(event(MiB));
    advance(1000);
    print(event(50 * MiB));
    advance(1000);
    print(event(100 * MiB, { done: true }));
    expect(writes).toEqual(["Downloaded disk.qcow2: 100.0 MiB in 2.0 s (50.0 MiB/s)\n"]);
  });

  test("on a TTY redraws one line with bytes, percent, rate and ETA, at most ten times a second", () => {
    const { writes, print, advance } = recorder(true);
    print(event(0));
    advance(1000);
    print(event(25 * MiB));
    advance(50);
    print(event(26 * MiB));
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe("\r\x1b[KDownloading disk.qcow2  25.0 MiB / 100.0 MiB  25%  25.0 MiB/s  ETA 3s");
  });

  test("on a TTY ends the line with the summary", () => {
    const { writes, print, advance } = recorder(true);
    print(event(0));
    advance(2000);
    print(event(100 * MiB, { done: true, resumedFrom: 50 * MiB }));
    expect(writes.at(-1)).toBe("\r\x1b[KDownloaded disk.qcow2: 100.0 MiB in 2.0 s (25.0 MiB/s, resumed at 50.0 MiB)\n");
  });

  test("bytes uses binary units", () => {
    expect([bytes(512), bytes(1536), bytes(3 * MiB), bytes(2 ** 31)]).toEqual(["512 B", "1.5 KiB", "3.0 MiB", "2.0 GiB"]);
  });
});
