import { open } from "node:fs/promises";
import { StateError } from "../errors.ts";

/**
 * libvirt's QEMU save image (`virsh save`, libvirt 9.0 qemu_saveimage.h): a 92-byte header,
 * a data area holding the domain XML (NUL-terminated) and the save cookie (NUL-terminated,
 * at `cookieOffset` inside the area, padded with zeros), then QEMU's migration stream.
 *
 *   magic "LibvirtQemudSave" (16 bytes), then little-endian uint32s: version, data_len,
 *   was_running, compressed, cookieOffset, 14 unused.
 *
 * libvirt refuses a restore whose XML changes the UUID, so a fork is restored from a new
 * header and data area followed by the template's stream (see restore-domain.ts).
 */
export interface SaveImage {
  version: number;
  wasRunning: boolean;
  /** The domain XML as libvirt saved it (its migratable form). */
  xml: string;
  /** libvirt's save cookie, NUL included, passed on unchanged. */
  cookie: Uint8Array;
  /** Where QEMU's migration stream starts in the file. */
  streamOffset: number;
}

export const SAVE_MAGIC = "LibvirtQemudSave";
export const SAVE_HEADER_BYTES = 92;

/** Reads the header and data area of a save image; the stream stays on disk. */
export async function readSaveImage(path: string): Promise<SaveImage> {
  const file = await open(path, "r");
  try {
    const header = Buffer.alloc(SAVE_HEADER_BYTES);
    await file.read(header, 0, SAVE_HEADER_BYTES, 0);
    const dataLen = checkHeader(header, path).dataLen;
    const data = Buffer.alloc(dataLen);
    const { bytesRead } = await file.read(data, 0, dataLen, SAVE_HEADER_BYTES);
    if (bytesRead !== dataLen) throw corrupt(path, "the data area is cut short");
    return parseSaveImage(Buffer.concat([header, data]), path);
  } finally {
    await file.close();
  }
}

/** Parses a save image's header and data area (at least SAVE_HEADER_BYTES + data_len bytes). */
export function parseSaveImage(bytes: Uint8Array, path = "save image"): SaveImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { version, dataLen, cookieOffset, wasRunning } = checkHeader(buf, path);
  if (buf.length < SAVE_HEADER_BYTES + dataLen) throw corrupt(path, "the data area is cut short");
  const data = buf.subarray(SAVE_HEADER_BYTES, SAVE_HEADER_BYTES + dataLen);
  const xmlEnd = data.indexOf(0);
  if (xmlEnd < 0 || (cookieOffset !== 0 && xmlEnd >= cookieOffset)) throw corrupt(path, "the domain XML is not NUL-terminated");
  const cookieEnd = cookieOffset === 0 ? -1 : data.indexOf(0, cookieOffset);
  if (cookieOffset !== 0 && cookieEnd < 0) throw corrupt(path, "the cookie is not NUL-terminated");
  return {
    version,
    wasRunning,
    xml: data.subarray(0, xmlEnd).toString("utf8"),
    cookie: cookieOffset === 0 ? new Uint8Array() : Uint8Array.from(data.subarray(cookieOffset, cookieEnd + 1)),
    streamOffset: SAVE_HEADER_BYTES + dataLen,
  };
}

/**
 * The header and data area of a save image for `xml`: what precedes the migration stream.
 * The area keeps libvirt's habit of slack after the XML, so an image stays a valid input
 * for libvirt's own tools.
 */
export function renderSaveHead(image: Pick<SaveImage, "version" | "wasRunning" | "xml" | "cookie">): Uint8Array {
  const xml = Buffer.from(`${image.xml}\0`, "utf8");
  const cookie = Buffer.from(image.cookie);
  const dataLen = xml.length + cookie.length + 64 * 1024;
  const out = Buffer.alloc(SAVE_HEADER_BYTES + dataLen);
  out.write(SAVE_MAGIC, 0, "latin1");
  out.writeUInt32LE(image.version, 16);
  out.writeUInt32LE(dataLen, 20);
  out.writeUInt32LE(image.wasRunning ? 1 : 0, 24);
  out.writeUInt32LE(0, 28);
  out.writeUInt32LE(cookie.length ? xml.length : 0, 32);
  xml.copy(out, SAVE_HEADER_BYTES);
  cookie.copy(out, SAVE_HEADER_BYTES + xml.length);
  return out;
}

function checkHeader(header: Buffer, path: string) {
  if (header.length < SAVE_HEADER_BYTES || header.toString("latin1", 0, 16) !== SAVE_MAGIC) {
    throw corrupt(path, "not a libvirt QEMU save image");
  }
  const version = header.readUInt32LE(16);
  const dataLen = header.readUInt32LE(20);
  const compressed = header.readUInt32LE(28);
  const cookieOffset = header.readUInt32LE(32);
  // Version 2 (libvirt ≥ 1.3) carries the cookie; compressed images need libvirt's decompressor in the pipe.
  if (version !== 2) throw corrupt(path, `unsupported version ${version}`);
  if (compressed !== 0) throw corrupt(path, "compressed save images are not supported");
  if (dataLen === 0 || dataLen > 64 * 1024 * 1024 || cookieOffset > dataLen) throw corrupt(path, "implausible data length");
  return { version, dataLen, cookieOffset, wasRunning: header.readUInt32LE(24) === 1 };
}

function corrupt(path: string, why: string): StateError {
  return new StateError(`Unreadable save image: "${path}": ${why}`, {
    code: "E_TEMPLATE_CORRUPT",
    hint: "remove the template and create it again",
  });
}
