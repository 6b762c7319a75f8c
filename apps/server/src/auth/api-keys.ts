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
  /**
   * Set when this scope came from the keys this process verified a moment ago (verifyApiKeyForWrite):
   * the lookups of the keys the write's transaction must find still valid before it commits
   * (services/usage/load.ts), so a revoked key is refused at once, in every process.
   */
  confirm?: string[];
}

/**
 * A scope whose write must confirm these keys. Written out rather than `{ ...scope, confirm }`: on Node 20,
 * V8 adds a key the spread object lacks in its runtime, about 0.6 µs each time on this machine.
 */
export const scopeConfirming = (scope: KeyScope, confirm: string[]): KeyScope => ({ accountId: scope.accountId, profileId: scope.profileId, keyId: scope.keyId, confirm });

/** last_used_at is written at most this often, so the hot path does not write a row per request. */
const touchEveryMs = 60_000;

/** A bearer key as presented: its public lookup and its secret, not yet checked against anything stored. */
export interface PresentedKey {
  lookup: string;
  secret: string;
}

const keyPattern = /^sdk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

/** The lookup and secret of a well-formed profile key, or null (nothing is read). */
export function presentedKey(key: string): PresentedKey | null {
  const match = keyPattern.exec(key);
  return match ? { lookup: match[1]!, secret: match[2]! } : null;
}

/** A key's row as a verifying read returns it (snake_case columns). */
export interface StoredKey {
  id: string;
  account_id: string;
  profile_id: string;
  secret_hash: string;
  last_used_at: string | Date | null;
}

/** The columns of a key row a verifying read selects, for a statement that reads the key with its other work (services/usage/load.ts). */
export const storedKeyColumns = sql.raw("k.id, k.account_id, k.profile_id, k.secret_hash, k.last_used_at");

/**
 * What a presented key opens, given the row its lookup found (null: unknown or revoked): the scope when
 * the secret matches, else null. Moves last_used_at, at most once a minute.
 */
export async function openKey(db: Executor, presented: PresentedKey, row: StoredKey | null | undefined, now: Date): Promise<KeyScope | null> {
  if (!row || !secretMatches(presented.secret, row.secret_hash)) return null;
  const lastUsedAt = row.last_used_at === null ? null : new Date(row.last_used_at);
  if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() > touchEveryMs) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.accountId, row.account_id), eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - touchEveryMs)))));
  }
  return { accountId: row.account_id, profileId: row.profile_id, keyId: row.id };
}

/** The profile a bearer key opens, or null for a malformed, unknown or revoked key. */
export async function verifyApiKey(db: Executor, key: string, now: Date): Promise<KeyScope | null> {
  const presented = presentedKey(key);
  if (!presented) return null;
  // One prepared statement (one round trip). usage.check reads the key within its one statement instead
  // (services/usage/load.ts), and the usage writes confirm a recently verified key in theirs (verifyApiKeyForWrite).
  const row = await readKey(db, presented);
  return openKey(db, presented, row, now);
}

/** The row of a key's lookup, if it exists and is not revoked: one prepared statement (one round trip). */
async function readKey(db: Executor, presented: PresentedKey): Promise<StoredKey | undefined> {
  const [row] = await runPrepared<StoredKey & Record<string, unknown>>(
    db,
    "api_key_verify",
    sql`select ${storedKeyColumns} from api_keys k where k.lookup = ${presented.lookup} and k.revoked_at is null`,
  );
  return row;
}

/**
 * How long this process trusts its own verification of a key for the usage writes, when the write's
 * transaction confirms the key in its read. Below touchEveryMs, so last_used_at still moves about once a
 * minute (each full verification moves it).
 */
const recentlyVerifiedMs = 30_000;
const maxRecentlyVerified = 10_000;
const recentlyVerified = new WeakMap<Executor, Map<string, { secretHash: string; scope: KeyScope; at: number }>>();

/** A usage write's key was revoked after this process verified it: the call is refused. */
export class KeyNoLongerValid extends Error {
  constructor() {
    super("the API key is no longer valid");
  }
}

/**
 * verifyApiKey for usage.record and usage.recordBatch (issue 17: one statement and one round trip less per
 * event): a key this process verified in the last 30 seconds, presented with the same secret (checked
 * against its stored hash, in constant time), opens its profile without a read; the scope then carries
 * the key's lookup in `confirm`, and the write's one read confirms the key is still there and not revoked
 * before anything is written (KeyNoLongerValid otherwise). Any other key is verified as verifyApiKey does.
 */
export async function verifyApiKeyForWrite(db: Executor, key: string, now: Date): Promise<KeyScope | null> {
  const presented = presentedKey(key);
  if (!presented) return null;
  let cache = recentlyVerified.get(db);
  if (!cache) recentlyVerified.set(db, (cache = new Map()));
  const hit = cache.get(presented.lookup);
  const age = hit ? now.getTime() - hit.at : -1;
  if (hit && age >= 0 && age < recentlyVerifiedMs && secretMatches(presented.secret, hit.secretHash)) return scopeConfirming(hit.scope, [presented.lookup]);
  const row = await readKey(db, presented);
  const scope = await openKey(db, presented, row, now);
  if (!scope) {
    cache.delete(presented.lookup);
    return null;
  }
  if (cache.size >= maxRecentlyVerified) cache.clear();
  cache.set(presented.lookup, { secretHash: row!.secret_hash, scope, at: now.getTime() });
  return scope;
}

/** Forgets keys a write found no longer valid, so their next use is verified by a read again. */
export function forgetVerifiedKeys(db: Executor, lookups: readonly string[]) {
  const cache = recentlyVerified.get(db);
  for (const lookup of lookups) cache?.delete(lookup);
}
