import {
  DomainError,
  firstDifference,
  ledgerFor,
  recordUsage,
  refusal,
  sameEventBody,
  type Catalog,
  type MonthLedger,
  type Period,
  type Subscription,
} from "@seatdesk/domain";
import { transactionCommittingWith, type CommitWith, type Tx } from "@seatdesk/db";
import { forgetVerifiedKeys, KeyNoLongerValid, type KeyScope } from "../../auth/api-keys";
import { findUser, ledgerKey, limitsFor, load, type Loaded, type UserState } from "./load";
import { field, type ParsedEvent } from "./parse";
import type { Database, EventResult, Recorded, UsageState } from "./types";
import { writeMany, writeOne, type EventRow, type LedgerWrite, type NoticeWrite, type SubscriptionWrite } from "./write";

/** The profile has a budget, and its month rows were not locked before the read (see record): run the whole call again, locking them. */
class BudgetUnlocked extends Error {}

/**
 * Whether each profile had a budget at its last record in this process: whether to send the month-row
 * locks with the read. A guess only, to save two statements per transaction for the profiles without a
 * budget (most): the read says what is true, and a wrong guess costs a rerun (BudgetUnlocked), never a
 * wrong answer. Unknown profiles are locked.
 */
const budgetGuesses = new WeakMap<Database, Map<string, boolean>>();
const maxGuesses = 100_000;

function guessesOf(db: Database): Map<string, boolean> {
  let guesses = budgetGuesses.get(db);
  if (!guesses) budgetGuesses.set(db, (guesses = new Map()));
  return guesses;
}

/**
 * Another request recorded one of these keys between our read and our write: the write raises this
 * (migration 0021, seatdesk_keys_inserted), so nothing of it is kept, and the whole call runs again.
 */
const keyRaceCode = "SDK01";

/**
 * Whether a PostgreSQL error of this code (and message) is the error or one of its causes. "23514" with
 * "partition constraint": the event was routed to usage_events' default partition while its month's
 * partition was being attached (packages/scheduler partitions.ts); PostgreSQL refuses the row once the
 * attach commits, and the whole call runs again, routed to the new partition. Nothing of the
 * transaction was kept.
 */
function hasCode(e: unknown, code: string, message = ""): boolean {
  for (let current: unknown = e; current instanceof Error; current = current.cause) {
    if ((current as { code?: unknown }).code === code && current.message.includes(message)) return true;
  }
  return false;
}

/**
 * Records events of one profile in one transaction, all or nothing; runs it again after a race (a key
 * stored meanwhile, BudgetUnlocked, a partition attached meanwhile). Two round trips to PostgreSQL: BEGIN
 * with the locks and the read, the write with COMMIT.
 */
export async function record(db: Database, catalog: Catalog, scope: KeyScope, events: ParsedEvent[], indexed: boolean): Promise<Recorded[]> {
  const guesses = guessesOf(db);
  for (let attempt = 0; ; attempt++) {
    const lockBudget = guesses.get(scope.profileId) ?? true;
    try {
      const { results, budgeted } = await transactionCommittingWith(db, (tx, commitWith) => recordInTransaction(tx, commitWith, catalog, scope, events, indexed, lockBudget));
      if (budgeted !== lockBudget) {
        if (guesses.size >= maxGuesses) guesses.clear();
        guesses.set(scope.profileId, budgeted);
      }
      return results;
    } catch (e) {
      if (e instanceof BudgetUnlocked) guesses.set(scope.profileId, true);
      if (e instanceof KeyNoLongerValid) forgetVerifiedKeys(db, scope.confirm ?? []);
      if (!(hasCode(e, keyRaceCode) || e instanceof BudgetUnlocked || hasCode(e, "23514", "partition constraint")) || attempt >= 3) throw e;
    }
  }
}

/**
 * Events not seen before in a period that no longer takes them: past its grace window (the domain's
 * refusal, kept by parseEvents), or finalized by the month close. A retry of an accepted event (its key
 * stored) is not refused: it answers its first result (edge case 14).
 *
 * A late event (one for the previous month, in its grace window) and that month's close exclude each
 * other: the event's transaction holds the profile's close lock shared and reads how far the profile is
 * closed after taking it (load, `locks.close`); the close holds it exclusively (packages/scheduler). So a
 * late event lands in the month before its invoice is made, or is refused after: never in both, never
 * lost. Events of the current month, the hot path, take no lock.
 */
function refuseClosedPeriods(events: ParsedEvent[], loaded: Loaded, at: (e: ParsedEvent) => number | null) {
  const closedThrough = loaded.profile.closedThrough;
  for (const e of events) {
    if (loaded.stored.has(e.key)) continue;
    if (e.closed) throw e.closed;
    if (closedThrough !== null && isLate(e) && e.period.id <= closedThrough) {
      const name = field(at(e), "occurredAt");
      throw new DomainError("PERIOD_CLOSED", `${name}: the period ${e.period.id} is closed and invoiced; late events are no longer accepted`, name);
    }
  }
}

/** Its period had ended when the request arrived (the grace window, if still open, is all that is left). */
const isLate = (e: ParsedEvent) => e.period.end.getTime() <= e.receivedAt.getTime();
/** Its period still took events when the request arrived. */
const isOpen = (e: ParsedEvent) => e.closed === null;

/**
 * An event's answer. Not `{ ...result, replayed }`: on Node 20, V8 adds a key the spread object lacks in its
 * runtime, 0.9 µs against 0.14 for this on this machine (a node micro-benchmark). `replayed` is set again
 * after the spread, so this call decides it even if a stored result held one.
 */
function answer(result: EventResult, replayed: boolean): Recorded {
  const answered = { replayed, ...result };
  answered.replayed = replayed;
  return answered;
}

type Resolved = Omit<ParsedEvent, "user"> & { user: UserState };
const bodyOf = (e: Resolved) => ({ userId: e.user.userId, creditsCc: e.creditsCc, client: e.client, occurredAt: e.occurredAt });

/** Idempotency (edge case 8): a key used again with another body. */
function conflict(e: Resolved, at: number | null, first: ReturnType<typeof bodyOf>): DomainError {
  const name = field(at, "idempotencyKey");
  return new DomainError("IDEMPOTENCY_CONFLICT", `${name}: "${e.key}" was already used for another event (its ${firstDifference(first, bodyOf(e))} differs)`, name);
}

async function recordInTransaction(
  tx: Tx,
  commitWith: CommitWith,
  catalog: Catalog,
  scope: KeyScope,
  events: ParsedEvent[],
  indexed: boolean,
  lockBudget: boolean,
): Promise<{ results: Recorded[]; budgeted: boolean }> {
  const at = (e: ParsedEvent) => (indexed ? e.index : null);
  // Only open periods are read: an event of a closed one is a retry (answered from its stored result) or refused.
  const open = events.filter(isOpen);
  const periods = [...new Map(open.map((e) => [e.period.id, e.period])).values()];
  const keys = [...new Set(events.map((e) => e.key))];
  const loaded = await load(tx, scope, events.map((e) => e.user), periods.map((p) => p.id), keys, { close: open.some(isLate), subscriptions: true, budget: lockBudget });
  const profile = loaded.profile;
  const budgeted = profile.budgetCents !== null;
  if (budgeted && loaded.lockedPeriods < periods.length) throw new BudgetUnlocked();
  refuseClosedPeriods(events, loaded, at);
  const users = loaded.users;
  const resolved = events.map((e): Resolved => ({ ...e, user: findUser(users, e.user, at(e), loaded.stored.has(e.key)) }));

  const ledgers = new Map<string, Map<string, MonthLedger>>();
  for (const period of periods) {
    const userIds = [...new Set(resolved.filter((e) => e.period.id === period.id && e.closed === null).map((e) => e.user.userId))];
    ledgers.set(period.id, new Map(userIds.map((u) => [u, ledgerFor(period, users.get(u)!.subscription, loaded.ledgers.get(ledgerKey(period.id, u)) ?? null)])));
  }
  const profileOverageByPeriod = loaded.profileOverage;
  const stored = loaded.stored;

  const results: Recorded[] = [];
  const fresh: { e: Resolved; result: EventResult }[] = [];
  const firstInBatch = new Map<string, { e: Resolved; result: EventResult }>();
  const noticeRows: NoticeWrite[] = [];
  const changedSubs = new Map<string, Subscription>();

  for (const e of resolved) {
    // Idempotency (edge case 8): keys already stored answer again, or conflict.
    const previous = stored.get(e.key);
    if (previous) {
      const first = { userId: previous.userId, creditsCc: previous.creditsCc, client: previous.client, occurredAt: previous.occurredAt };
      if (!sameEventBody(first, bodyOf(e))) throw conflict(e, at(e), first);
      results.push(answer(previous.result, true));
      continue;
    }
    const earlier = firstInBatch.get(e.key);
    if (earlier) {
      if (!sameEventBody(bodyOf(earlier.e), bodyOf(e))) throw conflict(e, at(e), bodyOf(earlier.e));
      results.push(answer(earlier.result, true));
      continue;
    }
    const user = e.user;
    const periodLedgers = ledgers.get(e.period.id)!;
    const profileOverageCc = profileOverageByPeriod.get(e.period.id) ?? 0;
    const outcome = recordUsage({
      catalog,
      firstMonth: profile.firstMonth,
      stored: user.subscription,
      ledger: periodLedgers.get(user.userId)!,
      creditsCc: e.creditsCc,
      occurredAt: e.occurredAt,
      limits: limitsFor(profile, catalog, user, profileOverageCc),
    });
    // Without a subscription in force: NOT_SUBSCRIBED, or ACCESS_ENDED saying when (edge cases 13 and 16).
    if (!outcome.accepted) throw refusal(user.subscription, field(at(e), "userId" in events[e.index]!.user ? "userId" : "userName"));
    user.subscription = outcome.subscription;
    changedSubs.set(user.userId, outcome.subscription);
    periodLedgers.set(user.userId, outcome.ledger);
    profileOverageByPeriod.set(e.period.id, profileOverageCc + outcome.split.overageCc);
    for (const kind of outcome.notices) noticeRows.push({ user_id: user.userId, period: e.period.id, kind, created_at: e.receivedAt.toISOString() });
    const result: EventResult = {
      idempotencyKey: e.key,
      userId: user.userId,
      includedCc: outcome.split.includedCc,
      overageCc: outcome.split.overageCc,
      unbilledCc: outcome.split.unbilledCc,
      stoppedBy: outcome.split.stoppedBy,
      activated: outcome.activated,
      state: stateOf(outcome.ledger, outcome.allowanceCc, e.period),
    };
    fresh.push({ e, result });
    firstInBatch.set(e.key, { e, result });
    results.push(answer(result, false));
  }
  if (fresh.length === 0) return { results, budgeted };

  // Every write in one statement: the events, the ledgers they moved, the profile's overage, the
  // subscriptions (activation, "last active") and the notices. If another request stored one of these
  // keys since the read, the write raises and the whole call runs again (keyRaceCode).
  const eventRows = fresh.map(({ e, result }): EventRow => ({
    period: e.period.id,
    user_id: e.user.userId,
    idempotency_key: e.key,
    client: e.client,
    credits_cc: e.creditsCc,
    included_cc: result.includedCc,
    overage_cc: result.overageCc,
    unbilled_cc: result.unbilledCc,
    occurred_at: e.occurredAt.toISOString(),
    recorded_at: e.receivedAt.toISOString(),
    result,
  }));
  const ledgerRows = periods.flatMap((period) => {
    const touched = new Set(fresh.filter((f) => f.e.period.id === period.id).map((f) => f.e.user.userId));
    const periodLedgers = ledgers.get(period.id)!;
    return [...touched].map((userId): LedgerWrite => {
      const l = periodLedgers.get(userId)!;
      return {
        period: l.periodId,
        user_id: userId,
        fee_tier: l.feeTier,
        active_at_start: l.activeAtStart,
        first_activated_at: l.firstActivatedAt?.toISOString() ?? null,
        first_month_prorated: l.firstMonthProrated,
        included_cc: l.includedCc,
        overage_cc: l.overageCc,
        unbilled_cc: l.unbilledCc,
      };
    });
  });
  const overageRows = periods.flatMap((period) => {
    const added = fresh.filter((f) => f.e.period.id === period.id).reduce((s, f) => s + f.result.overageCc, 0);
    return added > 0 ? [{ period: period.id, added }] : [];
  });
  const subRows = [...changedSubs].map(([userId, sub]): SubscriptionWrite => ({
    user_id: userId,
    status: sub.status,
    activated_at: sub.activatedAt?.toISOString() ?? null,
    last_active_at: sub.lastActiveAt?.toISOString() ?? null,
  }));
  // The ledgers' and subscriptions' updated_at: the latest request's time.
  const now = new Date(Math.max(...events.map((e) => e.receivedAt.getTime())));
  // Sent with COMMIT; if another request stored one of these keys since the read, it raises (keyRaceCode).
  await commitWith(
    "usage_write",
    eventRows.length === 1 && ledgerRows.length === 1 && subRows.length === 1 && overageRows.length <= 1
      ? writeOne(scope, eventRows[0]!, ledgerRows[0]!, overageRows[0]?.added ?? 0, subRows[0]!, noticeRows.map((n) => n.kind))
      : writeMany(scope, now, eventRows, ledgerRows, overageRows, subRows, noticeRows),
  );
  return { results, budgeted };
}

export const stateOf = (ledger: MonthLedger, allowanceCc: number, period: Period): UsageState => ({
  periodId: period.id,
  periodEnd: period.end.toISOString(),
  allowanceCc,
  usedCc: ledger.includedCc + ledger.overageCc + ledger.unbilledCc,
  includedCc: ledger.includedCc,
  overageCc: ledger.overageCc,
  unbilledCc: ledger.unbilledCc,
});
