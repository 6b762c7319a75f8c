import { sql } from "drizzle-orm";
import { runPrepared, type Executor } from "@seatdesk/db";
import { generateToken, secretMatches, splitToken } from "./api-keys";

/** SCIM bearer tokens (issue 8): `scim_<lookup>_<secret>`, one account each; only the secret's SHA-256 is stored. */
const prefix = "scim";

export const generateScimToken = () => generateToken(prefix);

/** Who a SCIM request is: the account and the token that made it (audited as the actor). */
export interface ScimScope {
  accountId: string;
  tokenId: string;
  tokenName: string;
}

/** last_used_at is written at most this often. */
const touchEveryMs = 60_000;

/** The account a bearer token opens, or null for a malformed, unknown or revoked token. */
export async function verifyScimToken(db: Executor, token: string, now: Date): Promise<ScimScope | null> {
  const parts = splitToken(prefix, token);
  if (!parts) return null;
  const [row] = await runPrepared<{ id: string; account_id: string; name: string; secret_hash: string; last_used_at: string | Date | null }>(
    db,
    "scim_token_verify",
    sql`select id, account_id, name, secret_hash, last_used_at from scim_tokens where lookup = ${parts.lookup} and revoked_at is null`,
  );
  if (!row || !secretMatches(parts.secret, row.secret_hash)) return null;
  const last = row.last_used_at === null ? null : new Date(row.last_used_at);
  if (!last || now.getTime() - last.getTime() > touchEveryMs) {
    await db.execute(sql`update scim_tokens set last_used_at = ${now.toISOString()}::timestamptz where account_id = ${row.account_id}::uuid and id = ${row.id}::uuid`);
  }
  return { accountId: row.account_id, tokenId: row.id, tokenName: row.name };
}
