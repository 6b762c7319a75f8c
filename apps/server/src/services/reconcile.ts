import { previousPeriod } from "@seatdesk/domain";
import { subscriptionOf as toSubscription } from "@seatdesk/db";
import { and, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import {
  DomainError,
  highestTier,
  ledgerFor,
  noteActive,
  periodOf,
  reconcile,
  removeByIdentityProvider,
  type MonthLedger,
  type Catalog,
  type ChangeOutcome,
  type Subscription,
  type TierId,
} from "@seatdesk/domain";
import { assignments, closeLockKey, directoryUsers, groupMembers, profiles, subscriptions, type Executor } from "@seatdesk/db";
import { loadLedgers, saveLedgers } from "./ledgers";

/** A profile by its key; its settings are read inside the transaction that applies them. */
export interface ProfileRef {
  accountId: string;
  id: string;
}

/** Tiers covering each user, with what each comes from; the override lets a preview try a change without writing it. */
export type CoverOverride = (userId: string, covers: Cover[]) => Cover[];
export interface Cover {
  tier: TierId;
  /** null: a direct assignment. */
  groupId: string | null;
}

export interface UserChange {
  userId: string;
  /** The assignments that cover the user after the change. */
  covers: Cover[];
  before: Subscription | null;
  after: Subscription | null;
  outcome: ChangeOutcome;
}

/** Every assignment that covers each user in the profile: their direct one and their groups'. */
export async function loadCovers(tx: Executor, profile: ProfileRef, userIds: string[]): Promise<{ covers: Map<string, Cover[]>; excluded: Set<string> }> {
  const direct = await tx
    .select({ userId: assignments.userId, tier: assignments.tier, groupId: assignments.groupId })
    .from(assignments)
    .where(and(eq(assignments.accountId, profile.accountId), eq(assignments.profileId, profile.id), inArray(assignments.userId, userIds)));
  const viaGroups = await tx
    .select({ userId: groupMembers.userId, tier: assignments.tier, groupId: assignments.groupId })
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
  const covers = new Map<string, Cover[]>();
  for (const row of [...direct, ...viaGroups]) {
    if (!row.userId) continue;
    const list = covers.get(row.userId) ?? [];
    list.push({ tier: row.tier, groupId: row.groupId });
    covers.set(row.userId, list);
  }
  return { covers, excluded };
}

/** The effective tier (DESIGN.md §2): the highest covering tier; none for a person the identity provider set inactive. */
export function effectiveTierOf(catalog: Catalog, userId: string, covers: Cover[], excluded: Set<string>): TierId | null {
  return excluded.has(userId) ? null : highestTier(catalog, covers.map((c) => c.tier));
}

/** A stored subscription row as the domain sees it (the scheduler reads rows the same way). */
export const toDomain = toSubscription;

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
  /** `identity-provider`: the person left (deactivated or deleted); the domain's removeByIdentityProvider decides. */
  cause: "assignments" | "identity-provider" = "assignments",
): Promise<UserChange[]> {
  if (userIds.length === 0) return [];
  // The previous month until the close has finalized it (its grace window, or a worker that is behind):
  // its ledger is written from the state at its start before that state changes, so the close bills it right.
  // The lock orders this against that month's close (packages/scheduler), as late usage events do; it is
  // taken before any subscription row, in the order the close takes them, so the two never deadlock.
  const previous = previousPeriod(periodOf(now));
  const readClosed = async () =>
    (
      await tx
        .select({ through: profiles.closedThrough, createdAt: profiles.createdAt, cancelAccess: profiles.cancelAccess, firstMonth: profiles.firstMonth })
        .from(profiles)
        .where(and(eq(profiles.accountId, profile.accountId), eq(profiles.id, profile.id)))
    )[0];
  const isOpen = (c: Awaited<ReturnType<typeof readClosed>>) => !!c && c.createdAt.getTime() < previous.end.getTime() && (c.through === null || c.through < previous.id);
  let settings = await readClosed();
  let previousOpen = isOpen(settings);
  if (previousOpen) {
    await tx.execute(sql`select pg_advisory_xact_lock_shared(${closeLockKey(profile.id)})`);
    settings = await readClosed();
    previousOpen = isOpen(settings);
  }
  if (!settings) throw new DomainError("NOT_FOUND", "profileId: no such profile", "profileId");
  const existing = await tx
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, profile.accountId), eq(subscriptions.profileId, profile.id), inArray(subscriptions.userId, userIds)))
    .for("update");
  const current = new Map(existing.map((r) => [r.userId, toDomain(r)]));
  const { covers, excluded } = await loadCovers(tx, profile, userIds);
  const period = periodOf(now);
  const stored = await loadLedgers(tx, profile.accountId, profile.id, period, userIds);
  const storedPrevious = previousOpen ? await loadLedgers(tx, profile.accountId, profile.id, previous, userIds) : new Map<string, MonthLedger>();

  const ledgers: { userId: string; ledger: MonthLedger }[] = [];
  const changes: UserChange[] = userIds.map((userId) => {
    const before = current.get(userId) ?? null;
    const userCovers = covers.get(userId) ?? [];
    const result =
      cause === "identity-provider"
        ? removeByIdentityProvider(catalog, before, now)
        : reconcile(catalog, before, effectiveTierOf(catalog, userId, userCovers, excluded), now, settings.cancelAccess);
    const after = result.subscription;
    if (after !== before) {
      if (previousOpen && before && !storedPrevious.has(userId)) ledgers.push({ userId, ledger: ledgerFor(previous, before, null) });
      // The month's ledger is materialized from the state at the month's start before anything changes it.
      const ledger = ledgerFor(period, before, stored.get(userId) ?? null);
      const next = after?.status === "active" ? noteActive(catalog, ledger, after.tier, now, settings.firstMonth) : ledger;
      if (next.feeTier !== null || stored.has(userId)) ledgers.push({ userId, ledger: next });
    }
    return { userId, covers: userCovers, before, after, outcome: result.outcome };
  });
  await saveLedgers(tx, profile.accountId, profile.id, ledgers, now);

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
