import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Catalog, SubscriptionStatus, TierId } from "@seatdesk/domain";
import { assignments, directoryGroups, directoryUsers, groupMembers, pendingOrActive, subscriptions, tierInForce, type Executor } from "@seatdesk/db";
import { reconcileUsers, type ProfileRef } from "./reconcile";

/**
 * Coverage (issue 8, "can prove every member is covered"): in one profile, the members of each group with a
 * tier who have no current subscription, and the current subscriptions that no assignment covers. The rules
 * keep both empty in the same transaction as every change; this finds what a bug, a manual edit of the
 * database or an interrupted import left behind, and repair hands exactly those users back to the rules.
 */

export interface CoveragePerson {
  userId: string;
  displayName: string;
  email: string;
}

export interface CoverageGroup {
  groupId: string;
  displayName: string;
  tier: TierId;
  /** Members the identity provider has not deleted. */
  members: number;
  /** Active members with no Pending or Active subscription in the profile (should be none); at most `listLimit`. */
  uncovered: CoveragePerson[];
  uncoveredCount: number;
}

export interface CoverageOrphan extends CoveragePerson {
  tier: TierId;
  status: SubscriptionStatus;
  /** Why nothing covers them: no assignment, or the identity provider set them inactive or deleted them (edge case 9). */
  reason: "no-assignment" | "inactive" | "deleted";
}

export interface CoverageReport {
  groups: CoverageGroup[];
  /** Pending or Active subscriptions that no assignment covers (should be none); at most `listLimit`. */
  orphans: CoverageOrphan[];
  orphanCount: number;
  checkedAt: Date;
}

/** Longest list of people a report shows per group and for orphans; the counts are always whole. */
export const listLimit = 1000;

/**
 * A subscription that counts as covering someone: Pending or Active. A Canceled one means the rules took it
 * away; an ended one is history (edge case 13) and covers no one.
 */
const holding = pendingOrActive();

/** Members of the profile's tiered groups who should hold a subscription and do not. */
function uncoveredMembers(db: Executor, accountId: string, profileId: string) {
  return db
    .select({ groupId: assignments.groupId, userId: directoryUsers.id, displayName: directoryUsers.displayName, email: directoryUsers.email })
    .from(assignments)
    .innerJoin(groupMembers, and(eq(groupMembers.accountId, assignments.accountId), eq(groupMembers.groupId, assignments.groupId)))
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, groupMembers.accountId), eq(directoryUsers.id, groupMembers.userId)))
    .where(
      and(
        eq(assignments.accountId, accountId),
        eq(assignments.profileId, profileId),
        isNotNull(assignments.groupId),
        eq(directoryUsers.active, true),
        isNull(directoryUsers.deletedAt),
        sql`not exists (select 1 from ${subscriptions} where ${subscriptions.accountId} = ${assignments.accountId} and ${subscriptions.profileId} = ${assignments.profileId} and ${subscriptions.userId} = ${directoryUsers.id} and ${holding})`,
      ),
    )
    .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id));
}

/** Pending or Active subscriptions of people no assignment covers: none of their own, none through a group, or gone from the directory. */
function orphanSubscriptions(db: Executor, accountId: string, profileId: string, now: Date) {
  const coveredDirectly = sql`exists (select 1 from ${assignments} a where a.account_id = ${subscriptions.accountId} and a.profile_id = ${subscriptions.profileId} and a.user_id = ${subscriptions.userId})`;
  const coveredByGroup = sql`exists (select 1 from ${assignments} a join ${groupMembers} gm on gm.account_id = a.account_id and gm.group_id = a.group_id where a.account_id = ${subscriptions.accountId} and a.profile_id = ${subscriptions.profileId} and gm.user_id = ${subscriptions.userId})`;
  return db
    .select({
      userId: subscriptions.userId,
      displayName: directoryUsers.displayName,
      email: directoryUsers.email,
      tier: sql<TierId>`${tierInForce(now)}`,
      status: subscriptions.status,
      active: directoryUsers.active,
      deletedAt: directoryUsers.deletedAt,
    })
    .from(subscriptions)
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, subscriptions.accountId), eq(directoryUsers.id, subscriptions.userId)))
    .where(
      and(
        eq(subscriptions.accountId, accountId),
        eq(subscriptions.profileId, profileId),
        holding,
        sql`(${directoryUsers.deletedAt} is not null or not ${directoryUsers.active} or not (${coveredDirectly} or ${coveredByGroup}))`,
      ),
    )
    .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id));
}

/** The report (a read; the caller's connection or transaction). */
export async function coverageReport(db: Executor, accountId: string, profileId: string, now: Date): Promise<CoverageReport> {
  const groups = await db
    .select({
      groupId: directoryGroups.id,
      displayName: directoryGroups.displayName,
      tier: assignments.tier,
      members: sql<number>`(select count(*)::int from ${groupMembers} gm join ${directoryUsers} u on u.account_id = gm.account_id and u.id = gm.user_id where gm.account_id = ${directoryGroups.accountId} and gm.group_id = ${directoryGroups.id} and u.deleted_at is null)`,
    })
    .from(assignments)
    .innerJoin(directoryGroups, and(eq(directoryGroups.accountId, assignments.accountId), eq(directoryGroups.id, assignments.groupId)))
    .where(and(eq(assignments.accountId, accountId), eq(assignments.profileId, profileId)))
    .orderBy(asc(directoryGroups.displayName), asc(directoryGroups.id));
  const uncovered = await uncoveredMembers(db, accountId, profileId);
  const byGroup = new Map<string, CoveragePerson[]>();
  for (const u of uncovered) {
    const list = byGroup.get(u.groupId!) ?? [];
    list.push({ userId: u.userId, displayName: u.displayName, email: u.email });
    byGroup.set(u.groupId!, list);
  }
  const orphans = (await orphanSubscriptions(db, accountId, profileId, now)).map((o) => ({
    userId: o.userId,
    displayName: o.displayName,
    email: o.email,
    tier: o.tier,
    status: o.status,
    reason: o.deletedAt ? ("deleted" as const) : !o.active ? ("inactive" as const) : ("no-assignment" as const),
  }));
  return {
    groups: groups.map((g) => {
      const list = byGroup.get(g.groupId) ?? [];
      return { groupId: g.groupId, displayName: g.displayName, tier: g.tier, members: Number(g.members), uncovered: list.slice(0, listLimit), uncoveredCount: list.length };
    }),
    orphans: orphans.slice(0, listLimit),
    orphanCount: orphans.length,
    checkedAt: now,
  };
}

/**
 * Repair: every user the report names is reconciled, in the caller's transaction. The rules decide what
 * each one gets (a member without a subscription is Pending at once; an orphan is Canceled, or removed while
 * Pending), exactly as if the change that was missed had just been made.
 */
export async function repairCoverage(tx: Executor, catalog: Catalog, profile: ProfileRef, now: Date) {
  const uncovered = [...new Set((await uncoveredMembers(tx, profile.accountId, profile.id)).map((u) => u.userId))];
  const orphans = (await orphanSubscriptions(tx, profile.accountId, profile.id, now)).map((o) => o.userId);
  const userIds = [...new Set([...uncovered, ...orphans])];
  const changes = [];
  for (let i = 0; i < userIds.length; i += 2000) changes.push(...(await reconcileUsers(tx, catalog, profile, userIds.slice(i, i + 2000), now)));
  const moved = changes.filter((c) => c.after !== c.before);
  const outcomes: Record<string, number> = {};
  for (const c of moved) outcomes[c.outcome.kind] = (outcomes[c.outcome.kind] ?? 0) + 1;
  return { uncoveredBefore: uncovered.length, orphansBefore: orphans.length, repaired: moved.length, outcomes, userIds: moved.map((c) => c.userId) };
}
