import { and, eq, inArray } from "drizzle-orm";
import {
  ledgerFor,
  periodOf,
  previewChange,
  type CancelAccessMode,
  type Catalog,
  type ChangePreview,
  type FirstMonthMode,
  type Subscription,
  type TierId,
} from "@seatdesk/domain";
import { subscriptions, type Executor } from "@seatdesk/db";
import { loadLedgers } from "./ledgers";
import { effectiveTierOf, loadCovers, toDomain, type Cover } from "./reconcile";
import { affectedUsers, type ResolvedTargets } from "./targets";

export interface PreviewProfile {
  accountId: string;
  id: string;
  cancelAccess: CancelAccessMode;
  firstMonth: FirstMonthMode;
}

/**
 * What setting (or removing, with null) the targets' assignments to `tier` would do to each affected user,
 * without writing anything: the covers are changed in memory and the domain's previewChange answers.
 */
export async function previewTargets(
  db: Executor,
  catalog: Catalog,
  profile: PreviewProfile,
  targets: ResolvedTargets,
  tier: TierId | null,
  now: Date,
): Promise<Map<string, ChangePreview>> {
  const userIds = affectedUsers(targets);
  if (userIds.length === 0) return new Map();
  const period = periodOf(now);
  const [{ covers, excluded }, ledgers, rows] = await Promise.all([
    loadCovers(db, profile, userIds),
    loadLedgers(db, profile.accountId, profile.id, period, userIds),
    db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, profile.accountId), eq(subscriptions.profileId, profile.id), inArray(subscriptions.userId, userIds))),
  ]);
  const subs = new Map<string, Subscription>(rows.map((r) => [r.userId, toDomain(r)]));
  const direct = new Set(targets.userIds);
  const changedGroups = new Set(targets.groupIds);
  const memberOf = new Map<string, string[]>();
  for (const [groupId, members] of targets.members) for (const u of members) memberOf.set(u, [...(memberOf.get(u) ?? []), groupId]);

  const out = new Map<string, ChangePreview>();
  for (const userId of userIds) {
    let next: Cover[] = (covers.get(userId) ?? []).filter((c) => !(c.groupId === null && direct.has(userId)) && !(c.groupId && changedGroups.has(c.groupId)));
    if (tier) {
      if (direct.has(userId)) next = [...next, { tier, groupId: null }];
      for (const g of memberOf.get(userId) ?? []) next = [...next, { tier, groupId: g }];
    }
    const subscription = subs.get(userId) ?? null;
    out.set(
      userId,
      previewChange({
        catalog,
        subscription,
        ledger: ledgerFor(period, subscription, ledgers.get(userId) ?? null),
        effectiveTier: effectiveTierOf(catalog, userId, next, excluded),
        now,
        cancelAccess: profile.cancelAccess,
        firstMonth: profile.firstMonth,
      }),
    );
  }
  return out;
}
