import { UsageError } from "../errors.ts";

// The name becomes a hostname label (RFC 1123): no leading or trailing "-".
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const HINT = "use 1-63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit, not all digits";

/**
 * Checks an instance name: it becomes a directory, a domain name and a hostname.
 * virsh reads an all-digit word as a domain ID and a 32-hex-digit word as a UUID
 * before it tries names, so such a name could address another domain.
 */
export function validateName(name: string, what: "instance" | "template" = "instance"): string {
  if (!NAME.test(name)) {
    throw new UsageError(`Invalid ${what} name: ${JSON.stringify(name)}`, { code: "E_INVALID_NAME", hint: HINT });
  }
  if (/^\d+$/.test(name)) {
    throw new UsageError(`Invalid ${what} name: ${JSON.stringify(name)}: virsh would read it as a domain ID`, { code: "E_INVALID_NAME", hint: HINT });
  }
  // virUUIDParse skips dashes anywhere between the 32 hex digits.
  if (/^[0-9a-f]{32}$/.test(name.replaceAll("-", ""))) {
    throw new UsageError(`Invalid ${what} name: ${JSON.stringify(name)}: virsh would read it as a domain UUID`, { code: "E_INVALID_NAME", hint: HINT });
  }
  return name;
}

const ADJECTIVES = ["brave", "calm", "eager", "fair", "gentle", "happy", "keen", "lively", "merry", "nimble", "proud", "quick", "quiet", "sharp", "swift", "witty"];
const NOUNS = ["otter", "falcon", "badger", "heron", "lynx", "marten", "osprey", "panda", "raven", "robin", "seal", "tapir", "viper", "wren", "yak", "zebu"];

/** A readable random name such as "swift-heron-42". */
export function randomName(random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(random() * 90) + 10}`;
}
