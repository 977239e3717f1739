/**
 * What a disk image's first bytes say it is, read by us rather than by qemu-img: probing
 * an image with qemu-img opens every file it references (a vmdk's extents, a qcow2's
 * external data file), and an image from the internet may name any host file, a FIFO or
 * a device. Only once the header shows no reference does qemu-img see the file, with its
 * format given explicitly.
 */

/** A qcow2 header: its declared size and the files it points at. */
export interface Qcow2Header {
  format: "qcow2";
  version: number;
  virtualSize: number;
  clusterBits: number;
  /** The backing file's name, or null when there is none. */
  backingFile: string | null;
  /** The external data file's name, "" when the flag is set without a name, null when none. */
  dataFile: string | null;
}

export type ImageHeader = Qcow2Header | { format: "raw" } | { format: string; foreign: true };

/** The start of a qcow2 file up to here is all `parseQcow2` needs for size and flags. */
export const QCOW2_MIN_HEADER = 104;
/** qcow2 header extensions lie within the first cluster; clusters are at most 2 MiB. */
export const MAX_HEADER_BYTES = 2 << 20;

const QCOW_MAGIC = [0x51, 0x46, 0x49, 0xfb]; // "QFI\xfb"
const INCOMPAT_DATA_FILE = 1n << 2n;
const EXT_END = 0;
const EXT_DATA_FILE = 0x44415441; // "DATA"

const text = (s: string) => [...s].map((c) => c.charCodeAt(0));

// Formats qemu would probe, by their magic: refused by name, never handed to qemu-img.
const FOREIGN: [string, number, number[]][] = [
  ["qed", 0, text("QED\0")],
  ["vmdk", 0, text("KDMV")],
  ["vmdk", 0, text("COWD")],
  ["vhdx", 0, text("vhdxfile")],
  ["vpc", 0, text("conectix")],
  ["vdi", 0x40, [0x7f, 0x10, 0xda, 0xbe]],
  ["luks", 0, [...text("LUKS"), 0xba, 0xbe]],
  ["parallels", 0, text("WithoutFreeSpace")],
  ["parallels", 0, text("WithouFreSpacExt")],
  ["bochs", 0, text("Bochs Virtual HD Image")],
  ["cloop", 0, text("#!/bin/sh\n#V2.0 Format\n")],
];

/** Tells qcow2, a foreign format, or raw (anything else) from the first bytes of a file. */
export function parseImageHeader(head: Uint8Array): ImageHeader {
  if (startsWith(head, 0, QCOW_MAGIC)) {
    const version = head.length >= 8 ? new DataView(head.buffer, head.byteOffset).getUint32(4) : 0;
    return version === 2 || version === 3 ? parseQcow2(head) : { format: "qcow", foreign: true };
  }
  const hit = FOREIGN.find(([, offset, magic]) => startsWith(head, offset, magic));
  if (hit) return { format: hit[0], foreign: true };
  // A vmdk descriptor is text that names its extent files.
  if (/^#\s*Disk DescriptorFile/m.test(new TextDecoder("latin1").decode(head.subarray(0, 1024)))) {
    return { format: "vmdk", foreign: true };
  }
  return { format: "raw" };
}

/** True when the bytes start with the qcow2 magic (any version). */
export function isQcow(head: Uint8Array): boolean {
  return startsWith(head, 0, QCOW_MAGIC);
}

/**
 * Reads a qcow2 v2/v3 header (docs/interop/qcow2.txt in QEMU). Fields beyond `head` read
 * as absent, so a short buffer gives the size but may miss a reference: callers that
 * decide on references pass the whole first cluster.
 */
export function parseQcow2(head: Uint8Array): Qcow2Header {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u32 = (at: number) => (at + 4 <= head.length ? view.getUint32(at) : 0);
  const u64 = (at: number) => (at + 8 <= head.length ? view.getBigUint64(at) : 0n);
  const version = u32(4);
  const backingOffset = u64(8);
  const backingSize = u32(16);
  const incompatible = version >= 3 ? u64(72) : 0n;
  const headerLength = version >= 3 ? u32(100) : 72;
  const extensions = readExtensions(head, view, headerLength);
  const dataName = extensions.get(EXT_DATA_FILE);
  return {
    format: "qcow2",
    version,
    virtualSize: clampNumber(u64(24)),
    clusterBits: u32(20),
    backingFile: backingOffset === 0n ? null : latin1(head, Number(backingOffset), Math.min(backingSize, 1023)) || "(unnamed)",
    dataFile: dataName !== undefined ? latin1(head, dataName.start, dataName.length) : incompatible & INCOMPAT_DATA_FILE ? "" : null,
  };
}

/** Header extensions by type: where each one's data is in `head`. */
function readExtensions(head: Uint8Array, view: DataView, start: number): Map<number, { start: number; length: number }> {
  const found = new Map<number, { start: number; length: number }>();
  for (let at = start; at + 8 <= head.length; ) {
    const type = view.getUint32(at);
    const length = view.getUint32(at + 4);
    if (type === EXT_END) break;
    found.set(type, { start: at + 8, length: Math.min(length, head.length - at - 8) });
    at += 8 + Math.ceil(length / 8) * 8;
  }
  return found;
}

function startsWith(bytes: Uint8Array, offset: number, magic: number[]): boolean {
  return bytes.length >= offset + magic.length && magic.every((byte, i) => bytes[offset + i] === byte);
}

function latin1(bytes: Uint8Array, start: number, length: number): string {
  return new TextDecoder("latin1").decode(bytes.subarray(start, start + length));
}

/** A u64 size as a number; beyond 2^53 it is absurd anyway, and stays larger than any limit. */
function clampNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
