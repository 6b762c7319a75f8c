import { clearSignInThrottle } from "../auth/throttle";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { accounts, consoleAdmins, consoleSessions, type Db } from "@seatdesk/db";
import { generatePassword, hashPassword } from "../auth/password";
import { recordAudit, type Actor } from "../services/audit";

/**
 * What operators do from a shell, against the database and without a server: bootstrap an account and
 * its first owner, recover an owner who cannot sign in, and see which accounts exist. Every change is
 * written in one transaction with its audit entry, as the console's own changes are.
 */

/** The operator's command line, as the audit log names it (no person signs in to run it). */
export const operatorActor: Actor = { type: "operator", id: null, label: "operator (command line)" };

/** Refused for a reason the operator can act on (exit code 1); the message names the argument. */
export class OpsError extends Error {}

// The same limits the console applies when an owner invites an admin (routers/admins.ts).
const email = z.string().trim().max(320, "at most 320 characters").pipe(z.email("not an e-mail address"));
const personName = z.string().trim().min(1, "enter a name").max(200, "at most 200 characters");

export const createAccountInput = z.object({
  name: z.string().trim().min(1, "enter the account's name").max(200, "at most 200 characters"),
  ownerName: personName,
  ownerEmail: email,
});
export type CreateAccountInput = z.input<typeof createAccountInput>;

export interface CreatedAccount {
  account: { id: string; name: string; createdAt: Date };
  owner: { id: string; email: string; name: string };
  /** Shown once: only its scrypt hash is stored. */
  oneTimePassword: string;
}

/**
 * A new, empty account (no profile, no directory) and its first owner, who signs in with a generated
 * password and then changes it (session.changePassword); the same kind of password an owner's invite
 * hands out (admins.invite). E-mail is the sign-in name, unique across every account whatever its case.
 */
export async function createAccount(db: Db, input: CreateAccountInput, now: Date): Promise<CreatedAccount> {
  const { name, ownerName, ownerEmail } = createAccountInput.parse(input);
  const oneTimePassword = generatePassword();
  // scrypt is slow on purpose: hash before the transaction.
  const passwordHash = await hashPassword(oneTimePassword);
  return db.transaction(async (tx) => {
    const [account] = await tx.insert(accounts).values({ name, createdAt: now }).returning();
    const [owner] = await tx
      .insert(consoleAdmins)
      .values({ accountId: account!.id, email: ownerEmail, name: ownerName, role: "owner", passwordHash, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: consoleAdmins.id, email: consoleAdmins.email, name: consoleAdmins.name });
    // Throwing rolls the account back with it: no account is left without an owner.
    if (!owner) throw new OpsError(`--owner-email: ${ownerEmail} is already a console admin's sign-in (e-mail is unique across accounts)`);
    await recordAudit(
      tx,
      account!.id,
      operatorActor,
      [
        { action: "account.create", targetType: "account", targetId: account!.id, after: { name } },
        { action: "admin.invite", targetType: "admin", targetId: owner.id, after: { email: owner.email, name: owner.name, role: "owner" } },
      ],
      now,
    );
    return { account: { id: account!.id, name: account!.name, createdAt: account!.createdAt }, owner, oneTimePassword };
  });
}

export interface PasswordReset {
  accountId: string;
  accountName: string;
  email: string;
  /** Shown once: only its scrypt hash is stored. */
  password: string;
  sessionsEnded: number;
}

/**
 * An owner who lost their password gets a new generated one, and every session of theirs ends (a session
 * taken by whoever learned the old password is worth nothing after it). Owners only: an owner recovers
 * anyone else from the console (remove and invite again).
 */
export async function resetOwnerPassword(db: Db, ownerEmail: string, now: Date): Promise<PasswordReset> {
  const parsed = email.safeParse(ownerEmail);
  if (!parsed.success) throw new OpsError(`--email: ${parsed.error.issues[0]?.message ?? "not an e-mail address"} (got "${ownerEmail}")`);
  const wanted = parsed.data;
  const [admin] = await db
    .select({ accountId: consoleAdmins.accountId, id: consoleAdmins.id, email: consoleAdmins.email, role: consoleAdmins.role, accountName: accounts.name })
    .from(consoleAdmins)
    .innerJoin(accounts, eq(accounts.id, consoleAdmins.accountId))
    .where(eq(sql`lower(${consoleAdmins.email})`, wanted.toLowerCase()));
  if (!admin) throw new OpsError(`--email: no console admin signs in as ${wanted}`);
  if (admin.role !== "owner") {
    throw new OpsError(`--email: ${admin.email} is ${admin.role === "admin" ? "an admin" : "a viewer"}, not an owner; an owner of the account can remove and invite them again from the console`);
  }
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const reset = await db.transaction(async (tx) => {
    const where = and(eq(consoleAdmins.accountId, admin.accountId), eq(consoleAdmins.id, admin.id));
    const updated = await tx.update(consoleAdmins).set({ passwordHash }).where(and(where, eq(consoleAdmins.role, "owner"))).returning({ id: consoleAdmins.id });
    if (updated.length === 0) throw new OpsError(`--email: ${admin.email} was removed or stopped being an owner meanwhile; nothing changed`);
    const ended = await tx
      .delete(consoleSessions)
      .where(and(eq(consoleSessions.accountId, admin.accountId), eq(consoleSessions.adminId, admin.id)))
      .returning({ tokenHash: consoleSessions.tokenHash });
    // Never the password or its hash in the audit entry.
    await recordAudit(tx, admin.accountId, operatorActor, [{ action: "admin.resetPassword", targetType: "admin", targetId: admin.id, after: { sessionsEnded: ended.length } }], now);
    return { accountId: admin.accountId, accountName: admin.accountName, email: admin.email, password, sessionsEnded: ended.length };
  });
  // A reset also lifts a sign-in lock-out of that e-mail, so the owner signs in with the new password at once.
  await clearSignInThrottle(db, admin.email);
  return reset;
}

export interface AccountRow {
  id: string;
  name: string;
  /** Owners' e-mails, alphabetically. */
  owners: string[];
  createdAt: Date;
}

/** Every account, oldest first, with its owners. */
export async function listAccounts(db: Db): Promise<AccountRow[]> {
  const rows = await db
    .select({
      id: accounts.id,
      name: accounts.name,
      createdAt: accounts.createdAt,
      owners: sql<string[] | null>`array_agg(${consoleAdmins.email} order by lower(${consoleAdmins.email})) filter (where ${consoleAdmins.id} is not null)`,
    })
    .from(accounts)
    .leftJoin(consoleAdmins, and(eq(consoleAdmins.accountId, accounts.id), eq(consoleAdmins.role, "owner")))
    .groupBy(accounts.id)
    .orderBy(asc(accounts.createdAt), asc(accounts.id));
  return rows.map((r) => ({ ...r, owners: r.owners ?? [], createdAt: new Date(r.createdAt) }));
}
