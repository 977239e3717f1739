/**
 * Domain UUIDs: the text form our records keep and virsh prints, and the 16 bytes
 * of the RPC protocol. We address our domains by UUID only: virsh reads a name
 * such as "1" as a domain id.
 */
import { UsageError } from "../errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The UUID in virsh's form (lowercase); anything else is a UsageError, so a bad
 * record never reaches virsh, which would take it for a domain name or id.
 */
export function checkUuid(uuid: string): string {
  if (!UUID.test(uuid)) throw new UsageError(`Not a domain UUID: "${uuid}"`);
  return uuid.toLowerCase();
}

/** The 16 bytes of a UUID string (see checkUuid). */
export function uuidBytes(uuid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(checkUuid(uuid).replaceAll("-", ""), "hex"));
}

/** virsh's text form of 16 UUID bytes: lowercase hex in groups 8-4-4-4-12. */
export function uuidString(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString("hex");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}
