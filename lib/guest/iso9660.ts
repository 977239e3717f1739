import {
  RR_NM,
  RR_PX,
  RR_TF,
  SECTOR_SIZE,
  alternateName,
  concat,
  directoryRecord,
  packDirectory,
  posixAttributes,
  rockRidgeExtensionReference,
  rockRidgeFlags,
  rootPathTable,
  sectorsFor,
  suspContinuation,
  suspIndicator,
  terminatorDescriptor,
  timestamps,
  ucs2,
  volumeDescriptor,
} from "./_iso9660-records.ts";

/** One file to place in the root directory of the image. */
export interface IsoFile {
  name: string;
  data: Uint8Array | string;
}

interface Entry {
  name: string;
  /** Level-1 identifier such as "USER_DAT.;1", for readers that know neither Rock Ridge nor Joliet. */
  isoName: string;
  data: Uint8Array;
}

interface Extent {
  sector: number;
  size: number;
}

// Fixed sectors: ECMA-119 reserves 0–15 as the system area and starts descriptors at 16.
const PRIMARY_DESCRIPTOR = 16;
const JOLIET_DESCRIPTOR = 17;
const TERMINATOR = 18;
const PRIMARY_L_TABLE = 19;
const PRIMARY_M_TABLE = 20;
const JOLIET_L_TABLE = 21;
const JOLIET_M_TABLE = 22;
const CONTINUATION_AREA = 23;
const FIRST_FREE_SECTOR = 24;

// genisoimage's default -pad: 150 zeroed sectors (300 KiB) after the last file, counted in the
// volume space size. It also keeps the seed far above 64 KiB: busybox's volume_id (findfs,
// mount LABEL=) probes RAID superblocks near the end of the device first, and on a smaller
// device those reads fail and it gives up before it tries ISO9660.
const PAD_SECTORS = 150;

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const VOLUME_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

// Rock Ridge modes match `genisoimage -r`: read-only for everyone, since the medium is.
const DIRECTORY_MODE = 0o40555;
const FILE_MODE = 0o100444;

/** Renders an ISO9660 image with Rock Ridge and Joliet so Linux and cloud-init see the exact lowercase, hyphenated names. */
export function buildIso(options: { volumeId: string; files: IsoFile[]; date?: Date }): Uint8Array {
  const date = options.date ?? new Date();
  validate(options.volumeId, options.files, date);
  const entries = toEntries(options.files);

  // Record lengths depend only on names, so a dry run with placeholder extents sizes the directories.
  const placeholder = entries.map(() => ({ sector: 0, size: 0 }));
  const dummyRoot = { sector: 0, size: 0 };
  const primarySize = primaryDirectory(entries, placeholder, dummyRoot, date).length;
  const jolietSize = jolietDirectory(entries, placeholder, dummyRoot, date).length;

  const primaryRoot = { sector: FIRST_FREE_SECTOR, size: primarySize };
  const jolietRoot = { sector: primaryRoot.sector + sectorsFor(primarySize), size: jolietSize };
  let next = jolietRoot.sector + sectorsFor(jolietSize);
  const extents = entries.map((entry) => {
    // Empty files take no sectors; pointing them at the next free sector is what genisoimage does.
    const extent = { sector: next, size: entry.data.length };
    next += sectorsFor(entry.data.length);
    return extent;
  });
  const totalSectors = next + PAD_SECTORS;

  const descriptor = (joliet: boolean, root: Extent) =>
    volumeDescriptor({
      joliet,
      volumeId: options.volumeId,
      spaceSize: totalSectors,
      lPathTable: joliet ? JOLIET_L_TABLE : PRIMARY_L_TABLE,
      mPathTable: joliet ? JOLIET_M_TABLE : PRIMARY_M_TABLE,
      rootRecord: selfRecords(root, date)[0]!,
      date,
    });

  const image = new Uint8Array(totalSectors * SECTOR_SIZE);
  const put = (sector: number, bytes: Uint8Array) => image.set(bytes, sector * SECTOR_SIZE);
  put(PRIMARY_DESCRIPTOR, descriptor(false, primaryRoot));
  put(JOLIET_DESCRIPTOR, descriptor(true, jolietRoot));
  put(TERMINATOR, terminatorDescriptor());
  // Little- (L) and big-endian (M) path tables are both mandatory; each tree has its own pair.
  put(PRIMARY_L_TABLE, rootPathTable(primaryRoot.sector, false));
  put(PRIMARY_M_TABLE, rootPathTable(primaryRoot.sector, true));
  put(JOLIET_L_TABLE, rootPathTable(jolietRoot.sector, false));
  put(JOLIET_M_TABLE, rootPathTable(jolietRoot.sector, true));
  put(CONTINUATION_AREA, rockRidgeExtensionReference());
  put(primaryRoot.sector, primaryDirectory(entries, extents, primaryRoot, date));
  put(jolietRoot.sector, jolietDirectory(entries, extents, jolietRoot, date));
  entries.forEach((entry, i) => put(extents[i]!.sector, entry.data));
  return image;
}

function validate(volumeId: string, files: readonly IsoFile[], date: Date): void {
  if (!VOLUME_ID_PATTERN.test(volumeId)) {
    throw new Error(`invalid ISO volume id ${JSON.stringify(volumeId)}: use 1-32 characters from A-Z a-z 0-9 _ -`);
  }
  const seen = new Set<string>();
  for (const { name, data } of files) {
    if (!NAME_PATTERN.test(name) || name === "." || name === "..") {
      const rule = 'use 1-64 characters from A-Z a-z 0-9 . _ - (not "." or "..")';
      throw new Error(`invalid ISO file name ${JSON.stringify(name)}: ${rule}`);
    }
    if (seen.has(name)) throw new Error(`duplicate ISO file name ${JSON.stringify(name)}`);
    seen.add(name);
    if (typeof data !== "string" && data.length > 0xffffffff) throw new Error(`ISO file ${name} exceeds 4 GiB`);
  }
  // Directory records store the year as an offset from 1900 in one byte.
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1900 || year > 2155) {
    throw new Error(`ISO date must be a valid date between 1900 and 2155, got ${String(date)}`);
  }
}

/** Sorts by real name (so extents are laid out deterministically) and assigns unique 8.3 names. */
function toEntries(files: readonly IsoFile[]): Entry[] {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const taken = new Set<string>();
  return sorted.map(({ name, data }) => {
    const isoName = uniqueShortName(name, taken);
    taken.add(isoName);
    return { name, isoName, data: typeof data === "string" ? new TextEncoder().encode(data) : data };
  });
}

/** "user-data" -> "USER_DAT.;1": level-1 d-characters, 8-character name, 3-character extension. */
function uniqueShortName(name: string, taken: ReadonlySet<string>): string {
  const dot = name.lastIndexOf(".");
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  const base = clean(dot === -1 ? name : name.slice(0, dot)).slice(0, 8) || "_";
  const ext = dot === -1 ? "" : clean(name.slice(dot + 1)).slice(0, 3);
  let candidate = `${base}.${ext};1`;
  // On a clash, overwrite the tail of the name with a counter: USER_DAT, USER_DA1, USER_DA2...
  for (let n = 1; taken.has(candidate); n++) {
    const suffix = String(n);
    candidate = `${base.slice(0, 8 - suffix.length)}${suffix}.${ext};1`;
  }
  return candidate;
}

/** The primary root directory: 8.3 identifiers plus Rock Ridge entries carrying the real names. */
function primaryDirectory(entries: readonly Entry[], extents: readonly Extent[], self: Extent, date: Date): Uint8Array {
  const dirAttributes = concat([rockRidgeFlags(RR_PX | RR_TF), posixAttributes(DIRECTORY_MODE, 2), timestamps(date)]);
  // SUSP requires SP first in the root "." record; ER is too big for the record, hence CE.
  const erLength = rockRidgeExtensionReference().length;
  const dot = concat([suspIndicator(), dirAttributes, suspContinuation(CONTINUATION_AREA, 0, erLength)]);
  const files = entries
    .map((entry, i) => ({ entry, extent: extents[i]! }))
    .sort((a, b) => compareIdentifiers(a.entry.isoName, b.entry.isoName))
    .map(({ entry, extent }) =>
      directoryRecord({
        extent: extent.sector,
        size: extent.size,
        directory: false,
        id: new TextEncoder().encode(entry.isoName),
        date,
        systemUse: concat([
          rockRidgeFlags(RR_PX | RR_NM | RR_TF),
          alternateName(entry.name),
          posixAttributes(FILE_MODE, 1),
          timestamps(date),
        ]),
      }),
    );
  return packDirectory([...selfRecords(self, date, dot, dirAttributes), ...files]);
}

/** The Joliet root directory: the real names in UCS-2, sharing the primary tree's file extents. */
function jolietDirectory(entries: readonly Entry[], extents: readonly Extent[], self: Extent, date: Date): Uint8Array {
  const files = entries
    .map((entry, i) => ({ entry, extent: extents[i]! }))
    .sort((a, b) => compareIdentifiers(a.entry.name, b.entry.name))
    // No ";1" version suffix, matching genisoimage; Linux and Windows readers accept either form.
    .map(({ entry, extent }) =>
      directoryRecord({ extent: extent.sector, size: extent.size, directory: false, id: ucs2(entry.name), date }),
    );
  return packDirectory([...selfRecords(self, date), ...files]);
}

/** The "." and ".." records (identifiers 0x00 and 0x01); in the root both point at the root itself. */
function selfRecords(self: Extent, date: Date, dotUse?: Uint8Array, parentUse?: Uint8Array): Uint8Array[] {
  const record = (id: number, systemUse?: Uint8Array) =>
    directoryRecord({ extent: self.sector, size: self.size, directory: true, id: Uint8Array.of(id), date, systemUse });
  return [record(0, dotUse), record(1, parentUse)];
}

/** ECMA-119 §9.3 order: name, then extension, each compared as if padded with spaces. */
function compareIdentifiers(a: string, b: string): number {
  const split = (id: string): [string, string] => {
    const bare = id.replace(/;1$/, "");
    const dot = bare.lastIndexOf(".");
    return dot === -1 ? [bare, ""] : [bare.slice(0, dot), bare.slice(dot + 1)];
  };
  const padded = (x: string, y: string) => {
    const width = Math.max(x.length, y.length);
    const [px, py] = [x.padEnd(width, " "), y.padEnd(width, " ")];
    return px < py ? -1 : px > py ? 1 : 0;
  };
  const [nameA, extA] = split(a);
  const [nameB, extB] = split(b);
  return padded(nameA, nameB) || padded(extA, extB);
}
