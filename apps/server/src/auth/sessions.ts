import { createHash, randomBytes } from "node:crypto";
import { and, eq, lt, or, sql } from "drizzle-orm";
import { consoleAdmins, consoleSessions, instantOf, numberOf, profiles, runPrepared, type AdminRole, type Executor } from "@seatdesk/db";

export const sessionCookieName = "seatdesk_session";

/** How long a console session lives (OWASP ASVS 4.0 V3.3): `idleMs` after its last request, `absoluteMs` after sign-in at most. */
export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

/** 30 minutes idle, 12 hours in all (Deps.sessionPolicy overrides). */
export const defaultSessionPolicy: SessionPolicy = { idleMs: 30 * 60 * 1000, absoluteMs: 12 * 60 * 60 * 1000 };
/** last_seen_at is written at most this often, so reads do not all write. */
const touchEveryMs = 60 * 1000;

export interface ConsoleSession {
  accountId: string;
  adminId: string;
  email: string;
  name: string;
  role: AdminRole;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("base64url");

/** Creates a session and returns the token for the cookie; only its hash is stored. */
export async function createSession(db: Executor, accountId: string, adminId: string, now: Date, policy: SessionPolicy = defaultSessionPolicy): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db.insert(consoleSessions).values({
    tokenHash: hashToken(token),
    accountId,
    adminId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + policy.absoluteMs),
  });
  return token;
}

type Profile = typeof profiles.$inferSelect;

type SessionRow = {
  account_id: string;
  admin_id: string;
  created_at: string | Date;
  last_seen_at: string | Date;
  expires_at: string | Date;
  email: string;
  name: string;
  role: AdminRole;
};

/**
 * Ends a session found idle too long or past its absolute end; touches last_seen_at now and then. The
 * absolute end is the earlier of the one written at sign-in and sign-in plus today's policy, so shortening
 * the policy also shortens the sessions already open.
 */
async function checkSession(db: Executor, tokenHash: string, row: SessionRow, now: Date, policy: SessionPolicy): Promise<ConsoleSession | null> {
  const t = now.getTime();
  const lastSeenAt = instantOf(row.last_seen_at)!.getTime();
  const endsAt = Math.min(instantOf(row.expires_at)!.getTime(), instantOf(row.created_at)!.getTime() + policy.absoluteMs);
  // Keyed by the account the row names, as every statement after the lookup is (one account's shard on Citus).
  const mine = and(eq(consoleSessions.accountId, row.account_id), eq(consoleSessions.tokenHash, tokenHash));
  if (endsAt <= t || lastSeenAt + policy.idleMs <= t) {
    await db.delete(consoleSessions).where(mine);
    return null;
  }
  if (t - lastSeenAt > touchEveryMs) {
    await db.update(consoleSessions).set({ lastSeenAt: now }).where(mine);
  }
  return { accountId: row.account_id, adminId: row.admin_id, email: row.email, name: row.name, role: row.role };
}

const sessionColumns = sql`s.account_id, s.admin_id, s.created_at, s.last_seen_at, s.expires_at, a.email, a.name, a.role`;
const sessionFrom = sql`console_sessions s join console_admins a on a.account_id = s.account_id and a.id = s.admin_id`;

/** The session behind a cookie token, or null when unknown, idle too long or past its absolute end. */
export async function findSession(db: Executor, token: string, now: Date, policy: SessionPolicy = defaultSessionPolicy): Promise<ConsoleSession | null> {
  const tokenHash = hashToken(token);
  const [row] = await runPrepared<SessionRow>(db, "console_session", sql`select ${sessionColumns} from ${sessionFrom} where s.token_hash = ${tokenHash}`);
  return row ? checkSession(db, tokenHash, row, now, policy) : null;
}

/**
 * The session and, in the same round trip, one of its account's profiles (null when the account has no
 * such profile): every page of the console asks for both.
 */
export async function findSessionInProfile(
  db: Executor,
  token: string,
  profileId: string,
  now: Date,
  policy: SessionPolicy = defaultSessionPolicy,
): Promise<{ session: ConsoleSession | null; profile: Profile | null }> {
  const tokenHash = hashToken(token);
  const [row] = await runPrepared<
    SessionRow & {
      profile_id: string | null;
      region: string;
      profile_name: string;
      overages_enabled: boolean;
      cancel_access: Profile["cancelAccess"];
      first_month: Profile["firstMonth"];
      default_cap_cc: string | number | null;
      budget_cents: string | number | null;
      profile_created_at: string | Date;
      closed_through: string | null;
      idle_warn_days: number | null;
      idle_deactivate_days: number | null;
      idle_expire_days: number | null;
    }
  >(
    db,
    "console_session_in_profile",
    sql`select ${sessionColumns}, p.id as profile_id, p.region, p.name as profile_name, p.overages_enabled, p.cancel_access, p.first_month,
        p.default_cap_cc, p.budget_cents, p.created_at as profile_created_at, p.closed_through,
        p.idle_warn_days, p.idle_deactivate_days, p.idle_expire_days
      from ${sessionFrom} left join profiles p on p.account_id = s.account_id and p.id = ${profileId}::uuid
      where s.token_hash = ${tokenHash}`,
  );
  const session = row ? await checkSession(db, tokenHash, row, now, policy) : null;
  if (!row || !session || row.profile_id === null) return { session, profile: null };
  return {
    session,
    profile: {
      accountId: row.account_id,
      id: row.profile_id,
      region: row.region,
      name: row.profile_name,
      overagesEnabled: row.overages_enabled,
      cancelAccess: row.cancel_access,
      firstMonth: row.first_month,
      defaultCapCc: numberOf(row.default_cap_cc),
      budgetCents: numberOf(row.budget_cents),
      createdAt: instantOf(row.profile_created_at)!,
      closedThrough: row.closed_through,
      idleWarnDays: row.idle_warn_days,
      idleDeactivateDays: row.idle_deactivate_days,
      idleExpireDays: row.idle_expire_days,
    },
  };
}

/**
 * Ends the session of a cookie token: within its account when that is known (signing out); at sign-in, the
 * token a browser brings may be any account's, so it is found by its hash alone.
 */
export async function deleteSession(db: Executor, token: string, accountId?: string): Promise<void> {
  const tokenHash = eq(consoleSessions.tokenHash, hashToken(token));
  await db.delete(consoleSessions).where(accountId === undefined ? tokenHash : and(eq(consoleSessions.accountId, accountId), tokenHash));
}

/** Sign-in rotates: the admin's sessions that have expired are dropped as a new one is made. */
export async function dropExpiredSessions(db: Executor, accountId: string, adminId: string, now: Date, policy: SessionPolicy = defaultSessionPolicy): Promise<void> {
  await db
    .delete(consoleSessions)
    .where(
      and(
        eq(consoleSessions.accountId, accountId),
        eq(consoleSessions.adminId, adminId),
        or(
          lt(consoleSessions.expiresAt, now),
          lt(consoleSessions.createdAt, new Date(now.getTime() - policy.absoluteMs)),
          lt(consoleSessions.lastSeenAt, new Date(now.getTime() - policy.idleMs)),
        ),
      ),
    );
}
