// Byte-level encoders for ECMA-119 (ISO9660), SUSP/Rock Ridge and Joliet, used by iso9660.ts.
// Field offsets follow ECMA-119 4th edition §8.4 (volume descriptors), §9.1 (directory
// records) and §9.4 (path tables); SUSP 1.12 and RRIP 1.12 for the system-use entries.

export const SECTOR_SIZE = 2048;

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR_SIZE);
}

function bytesOf(length: number, write: (view: DataView) => void): Uint8Array {
  const out = new Uint8Array(length);
  write(new DataView(out.buffer));
  return out;
}

export const le16 = (v: number) => bytesOf(2, (d) => d.setUint16(0, v, true));
export const be16 = (v: number) => bytesOf(2, (d) => d.setUint16(0, v, false));
export const le32 = (v: number) => bytesOf(4, (d) => d.setUint32(0, v, true));
export const be32 = (v: number) => bytesOf(4, (d) => d.setUint32(0, v, false));

// ECMA-119 stores most numbers twice, little-endian then big-endian, so a reader on either
// byte order can use them without swapping; strict readers (xorriso, isoinfo) compare both.
export const both16 = (v: number) => concat([le16(v), be16(v)]);
export const both32 = (v: number) => concat([le32(v), be32(v)]);

const encoder = new TextEncoder();

/** ASCII text padded with spaces: the fill ECMA-119 prescribes for a- and d-character fields. */
export function padAscii(text: string, length: number): Uint8Array {
  return encoder.encode(text.slice(0, length).padEnd(length, " "));
}

/** UCS-2 big-endian, the only encoding Joliet allows; inputs here are ASCII so no surrogates. */
export function ucs2(text: string): Uint8Array {
  return bytesOf(text.length * 2, (d) => {
    for (let i = 0; i < text.length; i++) d.setUint16(i * 2, text.charCodeAt(i), false);
  });
}

/** Joliet descriptor fields are padded with UCS-2 spaces; odd-length fields end in one zero byte. */
export function padUcs2(text: string, length: number): Uint8Array {
  const chars = Math.floor(length / 2);
  const out = new Uint8Array(length);
  out.set(ucs2(text.slice(0, chars).padEnd(chars, " ")));
  return out;
}

/** The 7-byte directory-record timestamp (§9.1.5), always written in UTC (offset 0). */
export function recordDate(date: Date): Uint8Array {
  return Uint8Array.of(
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  );
}

/** The 17-byte volume-descriptor timestamp (§8.4.26.1); null means "not specified". */
export function descriptorDate(date: Date | null): Uint8Array {
  if (date === null) return concat([padAscii("0".repeat(16), 16), Uint8Array.of(0)]);
  const two = (n: number) => String(n).padStart(2, "0");
  const digits =
    String(date.getUTCFullYear()).padStart(4, "0") +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    two(Math.floor(date.getUTCMilliseconds() / 10));
  return concat([padAscii(digits, 16), Uint8Array.of(0)]);
}

export interface DirectoryRecordFields {
  extent: number;
  size: number;
  directory: boolean;
  /** File identifier bytes: 0x00 for ".", 0x01 for "..", else the encoded name. */
  id: Uint8Array;
  date: Date;
  systemUse?: Uint8Array;
}

/** One directory record (§9.1); the system-use area carries the Rock Ridge entries. */
export function directoryRecord(f: DirectoryRecordFields): Uint8Array {
  // A pad byte keeps the system-use area at an even offset when the identifier length is even.
  const pad = f.id.length % 2 === 0 ? Uint8Array.of(0) : new Uint8Array(0);
  const body = concat([
    Uint8Array.of(0, 0), // length (patched below), extended attribute record length
    both32(f.extent),
    both32(f.size),
    recordDate(f.date),
    Uint8Array.of(f.directory ? 2 : 0, 0, 0), // flags, file unit size, interleave gap
    both16(1), // volume sequence number
    Uint8Array.of(f.id.length),
    f.id,
    pad,
    f.systemUse ?? new Uint8Array(0),
  ]);
  const record = body.length % 2 === 0 ? body : concat([body, Uint8Array.of(0)]);
  if (record.length > 255) throw new Error(`ISO9660 directory record too long (${record.length} bytes)`);
  record[0] = record.length;
  return record;
}

/** Lays records out in whole sectors; a record may not straddle a sector boundary (§6.8.1.1). */
export function packDirectory(records: readonly Uint8Array[]): Uint8Array {
  const sectors: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let used = 0;
  for (const record of records) {
    if (used + record.length > SECTOR_SIZE) {
      sectors.push(padToSector(concat(current)));
      current = [];
      used = 0;
    }
    current.push(record);
    used += record.length;
  }
  sectors.push(padToSector(concat(current)));
  return concat(sectors);
}

export function padToSector(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(1, sectorsFor(data.length)) * SECTOR_SIZE);
  out.set(data);
  return out;
}

/** A path table holding only the root directory (§9.4); readers use it to find directories fast. */
export function rootPathTable(rootExtent: number, bigEndian: boolean): Uint8Array {
  const extent = bigEndian ? be32(rootExtent) : le32(rootExtent);
  const parent = bigEndian ? be16(1) : le16(1);
  return concat([Uint8Array.of(1, 0), extent, parent, Uint8Array.of(0, 0)]);
}

export const ROOT_PATH_TABLE_SIZE = 10;

// ---- SUSP / Rock Ridge system-use entries -------------------------------------------------

function suspEntry(signature: string, payload: Uint8Array): Uint8Array {
  return concat([encoder.encode(signature), Uint8Array.of(payload.length + 4, 1), payload]);
}

/** SUSP "SP": marks the root "." record so readers know system-use entries follow. */
export const suspIndicator = () => suspEntry("SP", Uint8Array.of(0xbe, 0xef, 0));

/** SUSP "CE": points to a continuation area for entries that do not fit in the record. */
export function suspContinuation(block: number, offset: number, length: number): Uint8Array {
  return suspEntry("CE", concat([both32(block), both32(offset), both32(length)]));
}

const RRIP_ID = "RRIP_1991A";
const RRIP_DESCRIPTOR = "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
const RRIP_SOURCE =
  "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  " +
  "SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";

/** SUSP "ER": declares Rock Ridge; at 237 bytes it must live in the continuation area. */
export function rockRidgeExtensionReference(): Uint8Array {
  const id = encoder.encode(RRIP_ID);
  const descriptor = encoder.encode(RRIP_DESCRIPTOR);
  const source = encoder.encode(RRIP_SOURCE);
  const header = Uint8Array.of(id.length, descriptor.length, source.length, 1); // last: extension version
  return suspEntry("ER", concat([header, id, descriptor, source]));
}

/** Bits of the RRIP 1.09 "RR" entry saying which Rock Ridge entries a record carries. */
export const RR_PX = 0x01;
export const RR_NM = 0x08;
export const RR_TF = 0x80;

/** "RR": obsolete but still written by genisoimage, and some older readers look for it. */
export const rockRidgeFlags = (flags: number) => suspEntry("RR", Uint8Array.of(flags));

/** "PX": POSIX mode, link count, uid, gid (RRIP_1991A form, without the serial number). */
export function posixAttributes(mode: number, links: number): Uint8Array {
  return suspEntry("PX", concat([both32(mode), both32(links), both32(0), both32(0)]));
}

/** "NM": the real file name, which the 8.3 ISO identifier cannot express. */
export const alternateName = (name: string) => suspEntry("NM", concat([Uint8Array.of(0), encoder.encode(name)]));

/** "TF": modification, access and attribute-change times, all the same instant. */
export function timestamps(date: Date): Uint8Array {
  const stamp = recordDate(date);
  return suspEntry("TF", concat([Uint8Array.of(0x0e), stamp, stamp, stamp]));
}

// ---- Volume descriptors -------------------------------------------------------------------

export interface VolumeDescriptorFields {
  /** true for the Joliet supplementary descriptor (UCS-2 identifiers, escape sequence %/E). */
  joliet: boolean;
  volumeId: string;
  spaceSize: number;
  lPathTable: number;
  mPathTable: number;
  rootRecord: Uint8Array;
  date: Date;
}

/**
 * A Primary (§8.4) or Joliet Supplementary (§8.5) Volume Descriptor; both share one layout.
 * Joliet fields hold half as many UCS-2 characters, so a volume id over 16 characters is
 * truncated there (as genisoimage does); the primary descriptor keeps all 32.
 */
export function volumeDescriptor(f: VolumeDescriptorFields): Uint8Array {
  const text = f.joliet ? padUcs2 : padAscii;
  // "%/E" selects Joliet UCS-2 level 3; the primary descriptor leaves this area zero.
  const escapes = f.joliet ? concat([encoder.encode("%/E"), new Uint8Array(29)]) : new Uint8Array(32);
  const descriptor = concat([
    Uint8Array.of(f.joliet ? 2 : 1),
    encoder.encode("CD001"),
    Uint8Array.of(1, 0), // version, flags
    text("LINUX", 32), // system identifier
    text(f.volumeId, 32),
    new Uint8Array(8),
    both32(f.spaceSize),
    escapes,
    both16(1), // volume set size
    both16(1), // volume sequence number
    both16(SECTOR_SIZE),
    both32(ROOT_PATH_TABLE_SIZE),
    le32(f.lPathTable),
    le32(0), // optional L path table
    be32(f.mPathTable),
    be32(0), // optional M path table
    f.rootRecord,
    text("", 128), // volume set identifier
    text("", 128), // publisher
    text("", 128), // data preparer
    text("TESTCLOUD", 128), // application
    text("", 37), // copyright file
    text("", 37), // abstract file
    text("", 37), // bibliographic file
    descriptorDate(f.date), // creation
    descriptorDate(f.date), // modification
    descriptorDate(null), // expiration
    descriptorDate(f.date), // effective
    Uint8Array.of(1), // file structure version
  ]);
  return padToSector(descriptor);
}

/** The Volume Descriptor Set Terminator (§8.3) ends the descriptor sequence. */
export function terminatorDescriptor(): Uint8Array {
  return padToSector(concat([Uint8Array.of(255), encoder.encode("CD001"), Uint8Array.of(1)]));
}
