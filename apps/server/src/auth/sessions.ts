import { createHash, randomBytes } from "node:crypto";
import { and, eq, lt, or } from "drizzle-orm";
import { consoleAdmins, consoleSessions, type AdminRole, type Executor } from "@seatdesk/db";

export const sessionCookieName = "seatdesk_session";
/** A session ends after this long without a request... */
export const sessionIdleMs = 12 * 60 * 60 * 1000;
/** ...and in any case this long after sign-in. */
export const sessionAbsoluteMs = 7 * 24 * 60 * 60 * 1000;
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
export async function createSession(db: Executor, accountId: string, adminId: string, now: Date): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db.insert(consoleSessions).values({
    tokenHash: hashToken(token),
    accountId,
    adminId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + sessionAbsoluteMs),
  });
  return token;
}

/** The session behind a cookie token, or null when unknown, idle too long or past its absolute end. */
export async function findSession(db: Executor, token: string, now: Date): Promise<ConsoleSession | null> {
  const tokenHash = hashToken(token);
  const [row] = await db
    .select({
      accountId: consoleSessions.accountId,
      adminId: consoleSessions.adminId,
      lastSeenAt: consoleSessions.lastSeenAt,
      expiresAt: consoleSessions.expiresAt,
      email: consoleAdmins.email,
      name: consoleAdmins.name,
      role: consoleAdmins.role,
    })
    .from(consoleSessions)
    .innerJoin(consoleAdmins, and(eq(consoleAdmins.accountId, consoleSessions.accountId), eq(consoleAdmins.id, consoleSessions.adminId)))
    .where(eq(consoleSessions.tokenHash, tokenHash));
  if (!row) return null;
  const t = now.getTime();
  if (row.expiresAt.getTime() <= t || row.lastSeenAt.getTime() + sessionIdleMs <= t) {
    await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash));
    return null;
  }
  if (t - row.lastSeenAt.getTime() > touchEveryMs) {
    await db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.tokenHash, tokenHash));
  }
  return { accountId: row.accountId, adminId: row.adminId, email: row.email, name: row.name, role: row.role };
}

export async function deleteSession(db: Executor, token: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, hashToken(token)));
}

/** Sign-in rotates: the admin's sessions that have expired are dropped as a new one is made. */
export async function dropExpiredSessions(db: Executor, adminId: string, now: Date): Promise<void> {
  await db
    .delete(consoleSessions)
    .where(
      and(
        eq(consoleSessions.adminId, adminId),
        or(lt(consoleSessions.expiresAt, now), lt(consoleSessions.lastSeenAt, new Date(now.getTime() - sessionIdleMs))),
      ),
    );
}
