/**
 * SHA-512 crypt ("$6$"), as glibc's and libxcrypt's crypt(3) compute it, so a
 * password reaches the guest hashed: Bun has no crypt(3). Algorithm and test
 * vectors: https://www.akkadia.org/drepper/SHA-crypt.txt
 */
import { createHash } from "node:crypto";

const ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DEFAULT_ROUNDS = 5000;

/** Hashes `password`; a random 16-character salt unless one is given (tests). */
export function sha512Crypt(password: string, options: { salt?: string; rounds?: number } = {}): string {
  const rounds = Math.min(Math.max(options.rounds ?? DEFAULT_ROUNDS, 1000), 999_999_999);
  const salt = (options.salt ?? randomSalt()).slice(0, 16);
  const p = Buffer.from(password, "utf8");
  const s = Buffer.from(salt, "utf8");
  const c = rounds_(digestA(p, s), p, s, rounds);
  const prefix = options.rounds === undefined ? "$6$" : `$6$rounds=${rounds}$`;
  return `${prefix}${salt}$${encode(c)}`;
}

/** Rounds for guest passwords: glibc's default 5000 is from 2007; this costs ~0.2 s once per create. */
const PASSWORD_ROUNDS = 100_000;

/** The crypt(3) hash a guest password is delivered as. */
export function hashPassword(password: string): string {
  return sha512Crypt(password, { rounds: PASSWORD_ROUNDS });
}

function sha512(...parts: Buffer[]): Buffer {
  const hash = createHash("sha512");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Steps 1-12 of the specification: the digest every round starts from. */
function digestA(p: Buffer, s: Buffer): Buffer {
  const b = sha512(p, s, p);
  const a = createHash("sha512").update(p).update(s);
  let n = p.length;
  for (; n > 64; n -= 64) a.update(b);
  a.update(b.subarray(0, n));
  for (let bits = p.length; bits > 0; bits >>= 1) a.update(bits & 1 ? b : p);
  return a.digest();
}

function rounds_(a: Buffer, p: Buffer, s: Buffer, rounds: number): Buffer {
  const pSeq = repeatTo(sha512(...Array<Buffer>(p.length).fill(p)), p.length);
  const sSeq = repeatTo(sha512(...Array<Buffer>(16 + a[0]!).fill(s)), s.length);
  let c = a;
  for (let i = 0; i < rounds; i++) {
    const h = createHash("sha512");
    h.update(i & 1 ? pSeq : c);
    if (i % 3) h.update(sSeq);
    if (i % 7) h.update(pSeq);
    h.update(i & 1 ? c : pSeq);
    c = h.digest();
  }
  return c;
}

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = block[i % 64]!;
  return out;
}

/** The specification's byte order: triples (i, i+21, i+42) rotated by i mod 3, then byte 63 alone. */
function encode(c: Buffer): string {
  let out = "";
  for (let i = 0; i < 21; i++) {
    const t = [c[i]!, c[i + 21]!, c[i + 42]!];
    const r = i % 3;
    const [b2, b1, b0] = [t[r]!, t[(r + 1) % 3]!, t[(r + 2) % 3]!];
    out += chars((b2 << 16) | (b1 << 8) | b0, 4);
  }
  return out + chars(c[63]!, 2);
}

function chars(value: number, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++, value >>= 6) out += ALPHABET[value & 0x3f];
  return out;
}

function randomSalt(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => ALPHABET[b & 0x3f]).join("");
}
