import { UsageError } from "../errors.ts";

// The name becomes a hostname label (RFC 1123): no leading or trailing "-".
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks an instance name: it becomes a directory, a domain name and a hostname. */
export function validateName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`Invalid instance name: ${JSON.stringify(name)}`, {
      code: "E_INVALID_NAME",
      hint: "use 1-63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit",
    });
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
