import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** The cost of scrypt (node:crypto): N (a power of two), r and p. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * What new hashes are made with: N=2^15, r=8, p=1 (the OWASP baseline). Raising them is safe: a stored
 * hash carries its own, is verified with those, and is rehashed with these at the next sign-in.
 */
export const currentScrypt: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
const keyLength = 32;

/** Bounds on parameters read back from a stored hash, so a damaged row cannot make one verification take minutes. */
const limits = { maxN: 1 << 20, maxR: 32, maxP: 16 };

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default), so it is sized to the parameters.
  const maxmem = Math.max(32 * 1024 * 1024, 256 * N * r);
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, keyLength, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** "scrypt$N$r$p$salt$hash" so the parameters can be raised later without breaking stored hashes. */
export async function hashPassword(password: string, params: ScryptParams = currentScrypt): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

const positiveInt = (s: string | undefined) => (s && /^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : null);

function parseHash(stored: string): StoredHash | null {
  const [kind, n, r, p, salt, hash, ...rest] = stored.split("$");
  const params = { N: positiveInt(n), r: positiveInt(r), p: positiveInt(p) };
  if (kind !== "scrypt" || rest.length > 0 || !salt || !hash || params.N === null || params.r === null || params.p === null) return null;
  const { N } = params;
  if (N < 2 || N > limits.maxN || (N & (N - 1)) !== 0 || params.r > limits.maxR || params.p > limits.maxP) return null;
  return { params: { N, r: params.r, p: params.p }, salt: Buffer.from(salt, "base64url"), hash: Buffer.from(hash, "base64url") };
}

/** Verifies with the parameters the stored hash was made with (not today's), so raising them locks nobody out. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length === 0) return false;
  const actual = await derive(password, parsed.salt, parsed.params);
  return parsed.hash.length === actual.length && timingSafeEqual(parsed.hash, actual);
}

/** Whether a stored hash was made with other parameters than `params` (or another key length): rehash it after a good sign-in. */
export function needsRehash(stored: string, params: ScryptParams = currentScrypt): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p || parsed.hash.length !== keyLength;
}

/** A password a person can type: 4 groups of 5 characters from an unambiguous alphabet (about 100 bits). */
export function generatePassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(20);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join("")).join("-");
}
