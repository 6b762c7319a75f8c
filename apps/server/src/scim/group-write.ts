import { and, asc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Catalog } from "@seatdesk/domain";
import { assignments, directoryGroups, directoryUsers, foldName, foldSql, profiles, type Executor } from "@seatdesk/db";
import type { ScimScope } from "../auth/scim-tokens";
import { recordAudit, type Actor, type AuditEntry } from "../services/audit";
import { auditEffects, changedSomething, deleteMemberships, insertMemberships, rerunRulesForMemberships, type MembershipEffect } from "../services/directory";
import { reconcileUsers } from "../services/reconcile";
import { ScimError, type ScimRequest } from "./common";
import { chunks, memberIdsOf } from "./group-read";
import { isUuid } from "./group-patch";

/**
 * The write side of /scim/v2/Groups. Every SCIM write is one transaction: the directory change, what the
 * rules make of it for each member's subscription in every profile where the group has a tier, and the
 * audit entries, with the SCIM token as the actor. A failure anywhere writes nothing.
 */

export const scimActor = (scope: ScimScope): Actor => ({ type: "scim", id: scope.tokenId, label: `SCIM token "${scope.tokenName}"` });

type Tx = Parameters<Parameters<ScimRequest["deps"]["database"]["db"]["transaction"]>[0]>[0];

/** The SQLSTATE and constraint of a database error, wherever the driver (postgres.js or PGlite) and Drizzle put them. */
function pgError(e: unknown): { code: string; constraint: string } | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const { code, constraint, constraint_name } = cur as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return { code, constraint: String(constraint ?? constraint_name ?? "") };
  }
  return undefined;
}

/**
 * Runs a SCIM write in one transaction. A race the checks could not see (two identity providers creating
 * the same group name at once, a user deleted while being added) is decided by the database's keys and
 * answered as the SCIM error it is, never a 500.
 */
export async function scimTransaction<T>(req: ScimRequest, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await req.deps.database.db.transaction(work);
  } catch (e) {
    if (e instanceof ScimError) throw e;
    const pg = pgError(e);
    if (pg?.code === "23505" && pg.constraint === "directory_groups_name_uq") throw new ScimError(409, "displayName: a group with this name already exists", "uniqueness");
    if (pg?.code === "23505") throw new ScimError(409, "The group was changed by another request at the same time; send the request again");
    if (pg?.code === "23503") throw new ScimError(400, "members: a member is not a user of this account any more", "invalidValue");
    throw e;
  }
}

/** 409 uniqueness when another group of the account has this name in any case (RFC 7644 §3.3). */
export async function requireFreeName(tx: Executor, accountId: string, displayName: string, exceptGroupId: string | null) {
  const [taken] = await tx
    .select({ id: directoryGroups.id })
    .from(directoryGroups)
    .where(
      and(
        eq(directoryGroups.accountId, accountId),
        sql`${foldSql(directoryGroups.displayName)} = ${foldName(displayName)}`,
        ...(exceptGroupId ? [ne(directoryGroups.id, exceptGroupId)] : []),
      ),
    );
  if (taken) throw new ScimError(409, `displayName: a group named "${displayName}" already exists`, "uniqueness");
}

/**
 * Every id to add names a user of this account that the identity provider has not deleted; the first that
 * does not is 400 invalidValue naming the member and where it was sent, before anything is written.
 */
export async function requireMembers(tx: Executor, accountId: string, origins: Map<string, string>): Promise<void> {
  const ids = [...origins.keys()];
  const known = new Set<string>();
  for (const part of chunks(ids.filter(isUuid))) {
    const rows = await tx
      .select({ id: directoryUsers.id })
      .from(directoryUsers)
      .where(and(eq(directoryUsers.accountId, accountId), inArray(directoryUsers.id, part), isNull(directoryUsers.deletedAt)));
    for (const r of rows) known.add(r.id);
  }
  const missing = ids.find((id) => !known.has(id));
  if (missing === undefined) return;
  let why = "is not a user of this account";
  if (isUuid(missing)) {
    const [group] = await tx
      .select({ id: directoryGroups.id })
      .from(directoryGroups)
      .where(and(eq(directoryGroups.accountId, accountId), eq(directoryGroups.id, missing)));
    if (group) why = "is a group; groups inside groups are not supported, add its users instead";
  }
  throw new ScimError(400, `${origins.get(missing)}: "${missing}" ${why}`, "invalidValue");
}

export interface MemberChanges {
  added: string[];
  removed: string[];
  effects: MembershipEffect[];
}

/**
 * Adds and removes members of one group (ids already checked), then re-runs the rules for each of them in
 * every profile where the group has a tier (DESIGN.md §2, "A change made on a group applies to each
 * member"): added people are Pending at once, removed ones have their tier recomputed and, with nothing
 * left covering them, are Canceled (or removed while Pending). In chunks, in the caller's transaction.
 */
export async function changeMembers(tx: Executor, catalog: Catalog, accountId: string, groupId: string, toAdd: string[], toRemove: string[], now: Date): Promise<MemberChanges> {
  const added = (await insertMemberships(tx, accountId, toAdd.map((userId) => ({ groupId, userId })))).map((m) => m.userId);
  const removed: string[] = [];
  for (const part of chunks(toRemove.filter(isUuid))) removed.push(...(await deleteMemberships(tx, accountId, groupId, part)));
  const effects: MembershipEffect[] = [];
  for (const part of chunks([...added, ...removed])) {
    effects.push(...(await rerunRulesForMemberships(tx, catalog, accountId, part.map((userId) => ({ groupId, userId })), now)));
  }
  return { added, removed, effects };
}

/** A subscription that a group change moved, as the console's membership changes audit it. */
export const effectAudit = (effects: MembershipEffect[], groupId: string): AuditEntry[] =>
  effects.map((e) => ({
    profileId: e.profileId,
    action: "subscription.group-membership",
    targetType: "user",
    targetId: e.userId,
    before: { groupId, subscription: e.before },
    after: { groupId, subscription: e.after },
  }));

/** Audit entries in statements of bounded size (a 10,000-member PATCH moves 10,000 subscriptions). */
export async function audit(tx: Executor, scope: ScimScope, entries: AuditEntry[], now: Date): Promise<void> {
  for (const part of chunks(entries, 1000)) await recordAudit(tx, scope.accountId, scimActor(scope), part, now);
}

/**
 * The audit entries of a membership change: who was added and removed, each with the effect records of
 * what that did to their subscriptions (the console's member calls answer the same records), and one entry
 * per subscription that moved. Subscriptions that did not move are in neither.
 */
export function memberAudit(groupId: string, changes: MemberChanges): AuditEntry[] {
  const added = new Set(changes.added);
  const effectsOf = (wasAdded: boolean) => auditEffects(changes.effects.filter((e) => added.has(e.userId) === wasAdded));
  return [
    ...(changes.added.length > 0 ? [{ action: "scim.group.members.add", targetType: "group", targetId: groupId, after: { added: changes.added, ...effectsOf(true) } }] : []),
    ...(changes.removed.length > 0
      ? [{ action: "scim.group.members.remove", targetType: "group", targetId: groupId, before: { removed: changes.removed }, after: effectsOf(false) }]
      : []),
    ...effectAudit(changes.effects.filter(changedSomething), groupId),
  ];
}

/**
 * Deletes a group (RFC 7644 §3.6). Its memberships, its tiers in every profile and its cap overrides go
 * with it (foreign keys, on delete cascade); then each former member is reconciled in each profile where
 * the group had a tier, so they lose that coverage in the same transaction. Returns what it removed.
 */
export async function deleteGroup(tx: Executor, catalog: Catalog, accountId: string, groupId: string, now: Date) {
  const memberIds = await memberIdsOf(tx, accountId, groupId);
  const assigned = await tx
    .select({ profileId: profiles.id, cancelAccess: profiles.cancelAccess, tier: assignments.tier })
    .from(assignments)
    .innerJoin(profiles, and(eq(profiles.accountId, assignments.accountId), eq(profiles.id, assignments.profileId)))
    .where(and(eq(assignments.accountId, accountId), eq(assignments.groupId, groupId)))
    .orderBy(asc(profiles.region), asc(profiles.id));
  await tx.delete(directoryGroups).where(and(eq(directoryGroups.accountId, accountId), eq(directoryGroups.id, groupId)));
  const effects: MembershipEffect[] = [];
  for (const a of assigned) {
    for (const part of chunks(memberIds)) {
      for (const c of await reconcileUsers(tx, catalog, { accountId, id: a.profileId }, part, now)) {
        effects.push({ userId: c.userId, profileId: a.profileId, outcome: c.outcome, before: c.before, after: c.after });
      }
    }
  }
  return { memberIds, assigned: assigned.map((a) => ({ profileId: a.profileId, tier: a.tier })), effects };
}

/** Writes the group's name, externalId and last-modified time. */
export async function updateGroupRow(tx: Executor, accountId: string, groupId: string, values: { displayName: string; externalId: string | null }, now: Date) {
  await tx
    .update(directoryGroups)
    .set({ displayName: values.displayName, externalId: values.externalId, updatedAt: now })
    .where(and(eq(directoryGroups.accountId, accountId), eq(directoryGroups.id, groupId)));
}

export type { Tx };
