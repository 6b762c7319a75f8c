import { TRPCError } from "@trpc/server";
import { asc, eq } from "drizzle-orm";
import { accounts, consoleAdmins, type AdminRole, type Executor } from "@seatdesk/db";

/** What the API shows of a console admin: never the password hash. */
export const adminColumns = {
  id: consoleAdmins.id,
  email: consoleAdmins.email,
  name: consoleAdmins.name,
  role: consoleAdmins.role,
  createdAt: consoleAdmins.createdAt,
};

export interface AdminRow {
  id: string;
  email: string;
  name: string;
  role: AdminRole;
  createdAt: Date;
}

export async function listAdmins(db: Executor, accountId: string): Promise<AdminRow[]> {
  return db.select(adminColumns).from(consoleAdmins).where(eq(consoleAdmins.accountId, accountId)).orderBy(asc(consoleAdmins.email), asc(consoleAdmins.id));
}

/**
 * Serializes changes to one account's console admins (the account row is held until commit) and answers
 * its admins as they are now. Without it, two owners removing or demoting each other at the same moment
 * could both see "another owner remains" and leave the account with none.
 * NO KEY UPDATE leaves inserts that reference the account unblocked.
 */
export async function lockAdmins(tx: Executor, accountId: string): Promise<AdminRow[]> {
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for("no key update");
  return listAdmins(tx, accountId);
}

/** The acting owner, re-read under the lock: an owner demoted or removed since their request began may no longer act. */
export function requireOwner(admins: readonly AdminRow[], actorId: string): AdminRow {
  const actor = admins.find((a) => a.id === actorId);
  if (!actor || actor.role !== "owner") throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can do this" });
  return actor;
}

/** Issue 4: the account always keeps at least one owner. */
export function assertNotLastOwner(admins: readonly AdminRow[], target: AdminRow, field: string, doing: string): void {
  if (target.role !== "owner") return;
  if (admins.filter((a) => a.role === "owner").length <= 1) {
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: `${field}: ${target.email} is the account's last owner and cannot be ${doing}; make another admin an owner first` });
  }
}

export const auditView = (a: AdminRow) => ({ email: a.email, name: a.name, role: a.role });
