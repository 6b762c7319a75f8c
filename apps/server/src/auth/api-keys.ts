import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiKeys, runPrepared, type Executor } from "@seatdesk/db";

/**
 * Profile API keys (issue 5): `sdk_<lookup>_<secret>`. The lookup finds the row by a unique index;
 * only the SHA-256 of the 256-bit secret is stored (a slow hash adds nothing for a random secret).
 */
const prefix = "sdk";
const hash = (secret: string) => createHash("sha256").update(secret).digest();

/** `<prefix>_<lookup>_<secret>`: a 72-bit public lookup and a 256-bit secret, of which only the SHA-256 is kept. */
export function generateToken(tokenPrefix: string): { key: string; lookup: string; secretHash: string } {
  const lookup = randomBytes(9).toString("base64url");
  const secret = randomBytes(32).toString("base64url");
  return { key: `${tokenPrefix}_${lookup}_${secret}`, lookup, secretHash: hash(secret).toString("base64url") };
}

export const generateApiKey = () => generateToken(prefix);

/** The lookup and secret of a well-formed token, or null. */
export function splitToken(tokenPrefix: string, key: string): { lookup: string; secret: string } | null {
  const match = new RegExp(`^${tokenPrefix}_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$`).exec(key);
  return match ? { lookup: match[1]!, secret: match[2]! } : null;
}

/** Whether `secret` is the one whose SHA-256 was stored, in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, "base64url");
  const actual = hash(secret);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * What a key opens: one profile, and who the key is. Nothing more: the settings the usage rules read
 * (overages, caps, budget, firstMonth) are read by each usage call in its own read (services/usage/load.ts),
 * so a change committed a moment before an event is the one that event sees.
 */
export interface KeyScope {
  accountId: string;
  profileId: string;
  keyId: string;
}

/** last_used_at is written at most this often, so the hot path does not write a row per request. */
const touchEveryMs = 60_000;

/** The profile a bearer key opens, or null for a malformed, unknown or revoked key. */
export async function verifyApiKey(db: Executor, key: string, now: Date): Promise<KeyScope | null> {
  const match = /^sdk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  if (!match) return null;
  const [, lookup, secret] = match as unknown as [string, string, string];
  // Every usage request starts here: one prepared statement (one round trip).
  const [row] = await runPrepared<{ id: string; account_id: string; profile_id: string; secret_hash: string; last_used_at: string | Date | null }>(
    db,
    "api_key_verify",
    sql`select k.id, k.account_id, k.profile_id, k.secret_hash, k.last_used_at from api_keys k where k.lookup = ${lookup} and k.revoked_at is null`,
  );
  if (!row || !secretMatches(secret, row.secret_hash)) return null;
  const lastUsedAt = row.last_used_at === null ? null : new Date(row.last_used_at);
  if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() > touchEveryMs) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.accountId, row.account_id), eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - touchEveryMs)))));
  }
  return { accountId: row.account_id, profileId: row.profile_id, keyId: row.id };
}
