import { and, asc, count, eq, isNull, sql, type SQL } from "drizzle-orm";
import { getTier, periodOf, type Catalog } from "@seatdesk/domain";
import { assignments, directoryUsers, foldName, foldSql, groupMembers, notices, profiles, type Executor } from "@seatdesk/db";
import type { UserFields, UserRow } from "../scim/user-resource";
import { changedSomething, type MembershipEffect } from "./directory";
import { reconcileUsers } from "./reconcile";

/**
 * Directory users written by an identity provider over SCIM (issue 8). Every query is scoped by the
 * account; a user the identity provider deleted is kept (its subscriptions and invoices refer to it)
 * but is gone for SCIM and the console.
 */

const rowColumns = {
  id: directoryUsers.id,
  userName: directoryUsers.userName,
  displayName: directoryUsers.displayName,
  email: directoryUsers.email,
  externalId: directoryUsers.externalId,
  active: directoryUsers.active,
  scim: directoryUsers.scim,
  createdAt: directoryUsers.createdAt,
  updatedAt: directoryUsers.updatedAt,
};

const listed = (accountId: string) => and(eq(directoryUsers.accountId, accountId), isNull(directoryUsers.deletedAt));

/** The condition every SCIM list reads with: the account's listed users, and the filter's SQL when there is one. */
export const scimUsersWhere = (accountId: string, where: SQL | null) => and(listed(accountId), where ?? undefined);

/**
 * One listed user of the account, or null. `lock` takes the row FOR NO KEY UPDATE so concurrent writes
 * to one user serialize, without blocking the foreign-key checks of subscription writes.
 */
export async function findScimUser(db: Executor, accountId: string, id: string, lock = false): Promise<UserRow | null> {
  const q = db
    .select(rowColumns)
    .from(directoryUsers)
    .where(and(listed(accountId), eq(directoryUsers.id, id)));
  const [row] = lock ? await q.for("no key update") : await q;
  return row ?? null;
}

export async function countScimUsers(db: Executor, accountId: string, where: SQL | null): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(directoryUsers)
    .where(scimUsersWhere(accountId, where));
  return row?.n ?? 0;
}

/** Users in creation order (then id), so startIndex paging is stable while nothing is added. */
export async function pageScimUsers(db: Executor, accountId: string, where: SQL | null, offset: number, limit: number): Promise<UserRow[]> {
  return db
    .select(rowColumns)
    .from(directoryUsers)
    .where(scimUsersWhere(accountId, where))
    .orderBy(asc(directoryUsers.createdAt), asc(directoryUsers.id))
    .offset(offset)
    .limit(limit);
}

/** Inserts a user; null when the user name (any case) is taken: the unique index decides, so two concurrent creates cannot both win. */
export async function insertScimUser(tx: Executor, accountId: string, f: UserFields, now: Date): Promise<UserRow | null> {
  const [row] = await tx
    .insert(directoryUsers)
    .values({ accountId, ...f, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning(rowColumns);
  return row ?? null;
}

/** Whether another user of the account (listed or not) holds this user name in any case (name-fold.ts, as the unique index). */
export async function userNameTaken(db: Executor, accountId: string, userName: string, exceptId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.accountId, accountId), sql`${foldSql(directoryUsers.userName)} = ${foldName(userName)}`, sql`${directoryUsers.id} <> ${exceptId}::uuid`))
    .limit(1);
  return !!row;
}

/** Replaces the stored attributes; the id, and so every subscription of the user, stays. */
export async function updateScimUser(tx: Executor, accountId: string, id: string, f: UserFields, now: Date): Promise<UserRow> {
  const [row] = await tx
    .update(directoryUsers)
    .set({ ...f, updatedAt: now })
    .where(and(listed(accountId), eq(directoryUsers.id, id)))
    .returning(rowColumns);
  if (!row) throw new Error(`directory user ${id} vanished inside its transaction`);
  return row;
}

/**
 * The identity provider deleted the user (DESIGN.md §2 edge case 9): they lose their group memberships and
 * direct assignments; the row stays for history with deleted_at set and its user name suffixed with the
 * id, so the name is free for a new person. Returns what was removed, for the audit log.
 */
export async function softDeleteScimUser(tx: Executor, accountId: string, user: UserRow, now: Date) {
  const groups = await tx
    .delete(groupMembers)
    .where(and(eq(groupMembers.accountId, accountId), eq(groupMembers.userId, user.id)))
    .returning({ groupId: groupMembers.groupId });
  const direct = await tx
    .delete(assignments)
    .where(and(eq(assignments.accountId, accountId), eq(assignments.userId, user.id)))
    .returning({ profileId: assignments.profileId, tier: assignments.tier });
  await tx
    .update(directoryUsers)
    .set({ deletedAt: now, updatedAt: now, userName: `${user.userName}#deleted:${user.id}` })
    .where(and(eq(directoryUsers.accountId, accountId), eq(directoryUsers.id, user.id)));
  return { groupIds: groups.map((g) => g.groupId), directAssignments: direct };
}

export type IdentityChange = "deactivated" | "reactivated" | "deleted";

/** What the identity provider's change did to the user's subscription in one profile (the shape of a membership effect). */
export type IdentityEffect = MembershipEffect;

/**
 * What the identity provider's change means for the user's subscriptions, in every profile of the account
 * (DESIGN.md §2, "Canceled"; edge case 9). Deactivated or deleted: nothing covers them any more, so each
 * subscription follows the rules with access ending at once, whatever the profile's cancelAccess (they have
 * left; the domain's removeByIdentityProvider); a Pending one is removed; each profile where that happened
 * gets a notice saying why. Reactivated: their assignments and groups cover them again, as the rules say.
 */
export async function applyIdentityChange(
  tx: Executor,
  catalog: Catalog,
  accountId: string,
  user: Pick<UserRow, "id" | "displayName" | "userName">,
  change: IdentityChange,
  now: Date,
): Promise<IdentityEffect[]> {
  const list = await tx
    .select({ id: profiles.id })
    .from(profiles)
    .where(eq(profiles.accountId, accountId))
    .orderBy(asc(profiles.region), asc(profiles.id));
  const effects: IdentityEffect[] = [];
  for (const p of list) {
    const [c] = await reconcileUsers(tx, catalog, { accountId, id: p.id }, [user.id], now, change === "reactivated" ? "assignments" : "identity-provider");
    // Only what moved: an ended subscription the person leaves again is history, not a change.
    if (c && c.after !== c.before && changedSomething(c)) effects.push({ userId: user.id, profileId: p.id, outcome: c.outcome, before: c.before, after: c.after });
  }
  if (change !== "reactivated") {
    const period = periodOf(now).id;
    const rows = effects.flatMap((e) => {
      const detail = noticeDetail(catalog, user, change, e);
      return detail ? [{ accountId, profileId: e.profileId, userId: user.id, period, kind: `idp-${change}`, detail, createdAt: now }] : [];
    });
    if (rows.length) await tx.insert(notices).values(rows).onConflictDoNothing();
  }
  return effects;
}

function noticeDetail(catalog: Catalog, user: Pick<UserRow, "displayName" | "userName">, change: "deactivated" | "deleted", e: IdentityEffect): string | null {
  const who = `The identity provider ${change} ${user.displayName} (${user.userName})`;
  const tier = e.before ? getTier(catalog, e.before.tier).name : null;
  if (e.outcome.kind === "canceled") return `${who}: their ${tier} subscription is canceled and their access ended at once.`;
  if (e.outcome.kind === "access-ended") return `${who}: their canceled ${tier} subscription's remaining access ended at once.`;
  if (e.outcome.kind === "removed") return `${who}: their Pending ${tier} subscription was removed.`;
  return null;
}
