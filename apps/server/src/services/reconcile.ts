import { and, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import {
  highestTier,
  reconcile,
  type CancelAccessMode,
  type Catalog,
  type ChangeOutcome,
  type Subscription,
  type TierId,
} from "@seatdesk/domain";
import { assignments, directoryUsers, groupMembers, subscriptions, type Executor } from "@seatdesk/db";

export interface ProfileRef {
  accountId: string;
  id: string;
  cancelAccess: CancelAccessMode;
}

export interface UserChange {
  userId: string;
  before: Subscription | null;
  after: Subscription | null;
  outcome: ChangeOutcome;
}

/** Every tier that covers each user in the profile: their direct assignment and their groups'. */
async function coveringTiers(tx: Executor, profile: ProfileRef, userIds: string[]): Promise<Map<string, TierId[]>> {
  const direct = await tx
    .select({ userId: assignments.userId, tier: assignments.tier })
    .from(assignments)
    .where(and(eq(assignments.accountId, profile.accountId), eq(assignments.profileId, profile.id), inArray(assignments.userId, userIds)));
  const viaGroups = await tx
    .select({ userId: groupMembers.userId, tier: assignments.tier })
    .from(assignments)
    .innerJoin(groupMembers, and(eq(groupMembers.accountId, assignments.accountId), eq(groupMembers.groupId, assignments.groupId)))
    .where(
      and(
        eq(assignments.accountId, profile.accountId),
        eq(assignments.profileId, profile.id),
        isNotNull(assignments.groupId),
        inArray(groupMembers.userId, userIds),
      ),
    );
  // A person the identity provider set inactive (or deleted) is covered by nothing until reactivated (edge case 9).
  const inactive = await tx
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(
      and(
        eq(directoryUsers.accountId, profile.accountId),
        inArray(directoryUsers.id, userIds),
        or(eq(directoryUsers.active, false), isNotNull(directoryUsers.deletedAt)),
      ),
    );
  const excluded = new Set(inactive.map((r) => r.id));
  const byUser = new Map<string, TierId[]>();
  for (const row of [...direct, ...viaGroups]) {
    if (!row.userId || excluded.has(row.userId)) continue;
    const list = byUser.get(row.userId) ?? [];
    list.push(row.tier);
    byUser.set(row.userId, list);
  }
  return byUser;
}

const toDomain = (row: typeof subscriptions.$inferSelect): Subscription => ({
  tier: row.tier,
  status: row.status,
  scheduledTier: row.scheduledTier,
  scheduledAt: row.scheduledAt,
  accessEndsAt: row.accessEndsAt,
  activatedAt: row.activatedAt,
  lastActiveAt: row.lastActiveAt,
});

/**
 * Recomputes the subscriptions of these users in one profile from the assignments that cover them
 * (DESIGN.md §2, "effective tier"), asks the domain what that means, and writes the result.
 * The caller's transaction makes it all or nothing. Rows are locked so concurrent changes serialize.
 */
export async function reconcileUsers(
  tx: Executor,
  catalog: Catalog,
  profile: ProfileRef,
  userIds: string[],
  now: Date,
): Promise<UserChange[]> {
  if (userIds.length === 0) return [];
  const existing = await tx
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, profile.accountId), eq(subscriptions.profileId, profile.id), inArray(subscriptions.userId, userIds)))
    .for("update");
  const current = new Map(existing.map((r) => [r.userId, toDomain(r)]));
  const tiers = await coveringTiers(tx, profile, userIds);

  const changes: UserChange[] = userIds.map((userId) => {
    const before = current.get(userId) ?? null;
    const result = reconcile(catalog, before, highestTier(catalog, tiers.get(userId) ?? []), now, profile.cancelAccess);
    return { userId, before, after: result.subscription, outcome: result.outcome };
  });

  const upserts = changes.filter((c) => c.after !== null && c.after !== c.before);
  if (upserts.length > 0) {
    await tx
      .insert(subscriptions)
      .values(upserts.map((c) => ({ accountId: profile.accountId, profileId: profile.id, userId: c.userId, ...c.after!, updatedAt: now, createdAt: now })))
      .onConflictDoUpdate({
        target: [subscriptions.accountId, subscriptions.profileId, subscriptions.userId],
        set: {
          tier: sql`excluded.tier`,
          status: sql`excluded.status`,
          scheduledTier: sql`excluded.scheduled_tier`,
          scheduledAt: sql`excluded.scheduled_at`,
          accessEndsAt: sql`excluded.access_ends_at`,
          activatedAt: sql`excluded.activated_at`,
          lastActiveAt: sql`excluded.last_active_at`,
          updatedAt: sql`excluded.updated_at`,
        },
      });
  }
  const removed = changes.filter((c) => c.outcome.kind === "removed").map((c) => c.userId);
  if (removed.length > 0) {
    await tx
      .delete(subscriptions)
      .where(and(eq(subscriptions.accountId, profile.accountId), eq(subscriptions.profileId, profile.id), inArray(subscriptions.userId, removed)));
  }
  return changes;
}
