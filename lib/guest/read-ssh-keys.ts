import { readdir } from "node:fs/promises";
import { join } from "../host/posix-path.ts";
import { INPUTS, invalidInput, readInput } from "./_read-input.ts";

// Plain public keys only: a certificate (*-cert-v01) in authorized_keys needs cert-authority.
const PUBLIC_KEY = /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)[ \t]+[A-Za-z0-9+/]+={0,3}(?:[ \t].*)?$/;

/** Public key lines of a .pub or authorized_keys-style text; comments and blank lines skipped. */
export function parsePublicKeys(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => PUBLIC_KEY.test(line));
}

/**
 * The keys allowed into the guest besides the instance's own: every `--ssh-key`
 * file (a missing file, a private key or a file without a key is an error), then
 * the user's own `~/.ssh/*.pub` (unreadable or odd files there are skipped:
 * the user did not name them). Duplicates are dropped, first one kept.
 */
export async function readSshKeys(files: string[], home: string | null): Promise<string[]> {
  const keys: string[] = [];
  for (const file of files) {
    const { path, text } = await readInput(file, INPUTS.sshKey);
    if (/PRIVATE KEY-----/.test(text)) throw invalidInput(path, INPUTS.sshKey, "it is a private key", `pass the public key: ${path}.pub`);
    const found = parsePublicKeys(text);
    if (found.length === 0) throw invalidInput(path, INPUTS.sshKey, "no OpenSSH public key in it");
    keys.push(...found);
  }
  if (home !== null) keys.push(...(await homeKeys(home)));
  return dedupe(keys);
}

async function homeKeys(home: string): Promise<string[]> {
  const dir = join(home, ".ssh");
  const names = await readdir(dir).catch(() => [] as string[]);
  const keys: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".pub")).sort()) {
    const text = await Bun.file(join(dir, name)).text().catch(() => "");
    keys.push(...parsePublicKeys(text));
  }
  return keys;
}

/** The same key with another comment is the same key. */
function dedupe(keys: string[]): string[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const id = key.split(/[ \t]+/).slice(0, 2).join(" ");
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
