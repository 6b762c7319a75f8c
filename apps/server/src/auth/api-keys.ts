import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { apiKeys, profiles, type Executor } from "@seatdesk/db";

/**
 * Profile API keys (issue 5): `sdk_<lookup>_<secret>`. The lookup finds the row by a unique index;
 * only the SHA-256 of the 256-bit secret is stored (a slow hash adds nothing for a random secret).
 */
const prefix = "sdk";
const hash = (secret: string) => createHash("sha256").update(secret).digest();

export function generateApiKey(): { key: string; lookup: string; secretHash: string } {
  const lookup = randomBytes(9).toString("base64url");
  const secret = randomBytes(32).toString("base64url");
  return { key: `${prefix}_${lookup}_${secret}`, lookup, secretHash: hash(secret).toString("base64url") };
}

/** What a key opens: one profile, with the settings the usage rules read. */
export interface KeyScope {
  accountId: string;
  profileId: string;
  keyId: string;
  overagesEnabled: boolean;
  defaultCapCc: number | null;
  budgetCents: number | null;
}

/** last_used_at is written at most this often, so the hot path does not write a row per request. */
const touchEveryMs = 60_000;

/** The profile a bearer key opens, or null for a malformed, unknown or revoked key. */
export async function verifyApiKey(db: Executor, key: string, now: Date): Promise<KeyScope | null> {
  const match = /^sdk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  if (!match) return null;
  const [, lookup, secret] = match as unknown as [string, string, string];
  const [row] = await db
    .select({
      id: apiKeys.id,
      accountId: apiKeys.accountId,
      profileId: apiKeys.profileId,
      secretHash: apiKeys.secretHash,
      lastUsedAt: apiKeys.lastUsedAt,
      overagesEnabled: profiles.overagesEnabled,
      defaultCapCc: profiles.defaultCapCc,
      budgetCents: profiles.budgetCents,
    })
    .from(apiKeys)
    .innerJoin(profiles, and(eq(profiles.accountId, apiKeys.accountId), eq(profiles.id, apiKeys.profileId)))
    .where(and(eq(apiKeys.lookup, lookup), isNull(apiKeys.revokedAt)));
  if (!row) return null;
  const expected = Buffer.from(row.secretHash, "base64url");
  const actual = hash(secret);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > touchEveryMs) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.accountId, row.accountId), eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - touchEveryMs)))));
  }
  return {
    accountId: row.accountId,
    profileId: row.profileId,
    keyId: row.id,
    overagesEnabled: row.overagesEnabled,
    defaultCapCc: row.defaultCapCc,
    budgetCents: row.budgetCents,
  };
}
