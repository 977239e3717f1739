/** One line of a checksum file: a file name and its published digest (lowercase hex). */
export interface ChecksumEntry {
  file: string;
  algorithm: "sha256" | "sha512";
  value: string;
}

// BSD tag style, as in Fedora, CentOS and Rocky CHECKSUM files: `SHA256 (name) = hex`.
const BSD = /^(SHA256|SHA512) \((.+)\) = ([0-9a-fA-F]+)$/;
// GNU coreutils style, as in SHA256SUMS/SHA512SUMS and AlmaLinux's CHECKSUM: `hex  name` or `hex *name`.
const GNU = /^([0-9a-fA-F]{64}|[0-9a-fA-F]{128}) [ *](.+)$/;
const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

/**
 * Parses a checksum file in BSD or GNU style (both may appear). A PGP clearsigned file
 * counts only inside its signed part; comments, blank and unknown lines are skipped.
 */
export function parseChecksums(text: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  for (const raw of signedPart(text).split("\n")) {
    const line = raw.replace(/\r$/, "");
    const bsd = BSD.exec(line);
    if (bsd) {
      const algorithm = bsd[1] === "SHA256" ? "sha256" : "sha512";
      // A digest of the wrong length is not that algorithm's: a truncated or garbled line.
      if (bsd[3]!.length === HEX_LENGTH[algorithm]) {
        entries.push({ file: bsd[2]!, algorithm, value: bsd[3]!.toLowerCase() });
      }
      continue;
    }
    const gnu = GNU.exec(line);
    if (gnu) {
      const algorithm = gnu[1]!.length === 64 ? "sha256" : "sha512";
      entries.push({ file: gnu[2]!, algorithm, value: gnu[1]!.toLowerCase() });
    }
  }
  return entries;
}

/** The entry for exactly this file name, if the file lists it. */
export function findChecksum(entries: ChecksumEntry[], file: string): ChecksumEntry | undefined {
  return entries.find((entry) => entry.file === file);
}

/**
 * The signed text of an RFC 4880 cleartext-signed message, dash-escaping undone;
 * any other text unchanged. Lines outside the signed part are not trusted as data.
 */
function signedPart(text: string): string {
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const begin = lines.findIndex((line) => line === "-----BEGIN PGP SIGNED MESSAGE-----");
  if (begin === -1) return text;
  // Armor headers ("Hash: SHA256") run up to the first empty line.
  const bodyStart = lines.indexOf("", begin + 1);
  if (bodyStart === -1) return "";
  const end = lines.indexOf("-----BEGIN PGP SIGNATURE-----", bodyStart + 1);
  const body = lines.slice(bodyStart + 1, end === -1 ? lines.length : end);
  return body.map((line) => (line.startsWith("- ") ? line.slice(2) : line)).join("\n");
}
