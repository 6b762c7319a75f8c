import { sql } from "drizzle-orm";
import { activate, decideEntitlement, ledgerFor, periodOf, type Catalog } from "@seatdesk/domain";
import type { Executor } from "@seatdesk/db";
import type { KeyScope, PresentedKey } from "../../auth/api-keys";
import { saveLedgers } from "../ledgers";
import { findUser, ledgerKey, limitsFor, load, noLocks, subscriptionLocks } from "./load";
import type { UserRef } from "./parse";
import type { Database } from "./types";

/**
 * May this user use paid features now? Read-only (edge case 7): nothing is activated or moved. One
 * statement, which also reads the presented key (null: the key opens nothing, so nothing is answered).
 */
export async function checkEntitlement(db: Executor, catalog: Catalog, key: PresentedKey, ref: UserRef, now: Date) {
  const period = periodOf(now);
  const loaded = await load(db, key, [ref], [period.id], [], noLocks, now);
  if (!loaded) return null;
  const user = findUser(loaded.users, ref, null);
  const ledger = ledgerFor(period, user.subscription, loaded.ledgers.get(ledgerKey(period.id, user.userId)) ?? null);
  const decision = decideEntitlement({
    catalog,
    subscription: user.subscription,
    ledger,
    limits: limitsFor(loaded.profile, catalog, user, loaded.profileOverage.get(period.id) ?? 0),
    now,
  });
  return { userId: user.userId, ...decision, periodEnd: decision.periodEnd.toISOString() };
}

/**
 * The user signed in to the tool (DESIGN.md §2 "Active": first sign-in or first usage): a Pending
 * subscription becomes Active and starts its paid month, priced with the profile's `firstMonth` as this
 * transaction reads it (edge case 12); "last active" moves. Refused without a subscription in force.
 */
export async function activateUser(db: Database, catalog: Catalog, scope: KeyScope, ref: UserRef, now: Date) {
  return db.transaction(async (tx) => {
    const period = periodOf(now);
    const loaded = await load(tx, scope, [ref], [period.id], [], subscriptionLocks);
    const user = findUser(loaded.users, ref, null);
    const ledger = ledgerFor(period, user.subscription, loaded.ledgers.get(ledgerKey(period.id, user.userId)) ?? null);
    const { subscription: sub, ledger: next, activated } = activate(catalog, user.subscription, ledger, now, loaded.profile.firstMonth, "userId" in ref ? "userId" : "userName");
    if (activated) await saveLedgers(tx, scope.accountId, scope.profileId, [{ userId: user.userId, ledger: next }], now);
    await tx.execute(sql`update subscriptions set status = ${sub.status}::subscription_status, activated_at = ${sub.activatedAt?.toISOString() ?? null}::timestamptz,
      last_active_at = ${sub.lastActiveAt?.toISOString() ?? null}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
      where account_id = ${scope.accountId}::uuid and profile_id = ${scope.profileId}::uuid and user_id = ${user.userId}::uuid`);
    return { userId: user.userId, activated, status: sub.status, tier: sub.tier, lastActiveAt: now.toISOString() };
  });
}
