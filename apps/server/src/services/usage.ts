import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import {
  allowanceOf,
  DomainError,
  inForce,
  noteActive,
  recordActivity,
  decideEntitlement,
  firstDifference,
  ledgerFor,
  overageAllowed,
  parseCredits,
  periodForEvent,
  periodOf,
  recordUsage,
  resolveUserCap,
  sameEventBody,
  assertClientName,
  assertIdempotencyKey,
  type Cap,
  type Catalog,
  type MonthLedger,
  type NoticeKind,
  type OverageLimits,
  type OverageSwitch,
  type Period,
  type Subscription,
  type TierId,
} from "@seatdesk/domain";
import { notices, profileMonths, rowsOf, usageEvents, type Executor, type Tx } from "@seatdesk/db";
import type { KeyScope } from "../auth/api-keys";
import { loadLedgers, saveLedgers } from "./ledgers";

/** A user as the tool's clients know them: Seatdesk's id, or the identity provider's user name. */
export type UserRef = { userId: string } | { userName: string };

export interface UsageEventInput {
  user: UserRef;
  credits: number;
  client: string;
  occurredAt: string;
  idempotencyKey: string;
}

interface ParsedEvent {
  index: number;
  user: UserRef;
  creditsCc: number;
  client: string;
  occurredAt: Date;
  key: string;
  period: Period;
}

export interface UsageState {
  periodId: string;
  periodEnd: string;
  allowanceCc: number;
  usedCc: number;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
}

export interface EventResult {
  idempotencyKey: string;
  userId: string;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
  stoppedBy: string | null;
  activated: boolean;
  state: UsageState;
}

const field = (i: number | null, name: string) => (i === null ? name : `events.${i}.${name}`);

/** Validates every event with the domain's rules, naming the failing index and field; nothing is read or written yet. */
export function parseEvents(events: UsageEventInput[], now: Date, indexed: boolean): ParsedEvent[] {
  return events.map((e, i) => {
    const at = indexed ? i : null;
    const occurredAt = new Date(e.occurredAt);
    return {
      index: i,
      user: e.user,
      creditsCc: parseCredits(e.credits, field(at, "credits")),
      client: assertClientName(e.client, field(at, "client")),
      occurredAt,
      key: assertIdempotencyKey(e.idempotencyKey, field(at, "idempotencyKey")),
      period: periodForEvent(occurredAt, now, undefined, field(at, "occurredAt")),
    };
  });
}

interface UserState {
  userId: string;
  userName: string;
  subscription: Subscription | null;
  limits: { userCap: Cap; overageSwitch: OverageSwitch };
}

const uuidArray = (ids: string[]) => sql`${`{${ids.join(",")}}`}::uuid[]`;
const textArray = (values: string[]) => sql`${`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`}::text[]`;

/**
 * The users these references name (deleted ones are unknown: DESIGN.md §2 edge case 9), with their
 * subscription in the profile and what their cap resolves from, in one statement. With `lock`, the
 * subscription rows are locked first, so concurrent events of one user (or one key) take turns.
 */
async function loadUsers(db: Executor, scope: KeyScope, refs: UserRef[], lock: boolean): Promise<Map<string, UserState>> {
  const ids = [...new Set(refs.flatMap((r) => ("userId" in r ? [r.userId] : [])))];
  const names = [...new Set(refs.flatMap((r) => ("userName" in r ? [r.userName.toLowerCase()] : [])))];
  const who = sql`u.account_id = ${scope.accountId}::uuid and u.deleted_at is null and (u.id = any(${uuidArray(ids)}) or lower(u.user_name) = any(${textArray(names)}))`;
  if (lock) {
    await db.execute(sql`
      select 1 from subscriptions s join directory_users u on u.account_id = s.account_id and u.id = s.user_id
      where s.account_id = ${scope.accountId}::uuid and s.profile_id = ${scope.profileId}::uuid and ${who}
      order by s.user_id for update of s`);
  }
  const rows = rowsOf<{
    id: string;
    user_name: string;
    tier: TierId | null;
    status: Subscription["status"] | null;
    scheduled_tier: TierId | null;
    scheduled_at: string | Date | null;
    access_ends_at: string | Date | null;
    activated_at: string | Date | null;
    last_active_at: string | Date | null;
    user_cap_set: boolean;
    user_cap_cc: string | number | null;
    group_caps: (number | string | null)[] | null;
    overage_switch: OverageSwitch | null;
  }>(
    await db.execute(sql`
      select u.id, u.user_name, s.tier, s.status, s.scheduled_tier, s.scheduled_at, s.access_ends_at, s.activated_at, s.last_active_at,
        (uo.id is not null) as user_cap_set, uo.cap_cc as user_cap_cc,
        (select array_agg(co.cap_cc) from cap_overrides co join group_members gm on gm.account_id = co.account_id and gm.group_id = co.group_id
          where co.account_id = u.account_id and co.profile_id = ${scope.profileId}::uuid and gm.user_id = u.id) as group_caps,
        sw.value as overage_switch
      from directory_users u
      left join subscriptions s on s.account_id = u.account_id and s.profile_id = ${scope.profileId}::uuid and s.user_id = u.id
      left join cap_overrides uo on uo.account_id = u.account_id and uo.profile_id = ${scope.profileId}::uuid and uo.user_id = u.id
      left join overage_switches sw on sw.account_id = u.account_id and sw.profile_id = ${scope.profileId}::uuid and sw.user_id = u.id
      where ${who}`),
  );
  const date = (v: string | Date | null) => (v === null ? null : new Date(v));
  const cap = (v: string | number | null): Cap => (v === null ? "unlimited" : Number(v));
  const out = new Map<string, UserState>();
  for (const r of rows) {
    const state: UserState = {
      userId: r.id,
      userName: r.user_name,
      subscription: r.status
        ? {
            tier: r.tier!,
            status: r.status,
            scheduledTier: r.scheduled_tier,
            scheduledAt: date(r.scheduled_at),
            accessEndsAt: date(r.access_ends_at),
            activatedAt: date(r.activated_at),
            lastActiveAt: date(r.last_active_at),
          }
        : null,
      limits: {
        userCap: resolveUserCap({
          userOverride: r.user_cap_set ? cap(r.user_cap_cc) : null,
          groupOverrides: (r.group_caps ?? []).map(cap),
          profileDefault: scope.defaultCapCc,
        }),
        overageSwitch: r.overage_switch ?? "inherit",
      },
    };
    out.set(r.id, state);
    out.set(`name:${r.user_name.toLowerCase()}`, state);
  }
  return out;
}

function findUser(users: Map<string, UserState>, ref: UserRef, at: number | null): UserState {
  const found = "userId" in ref ? users.get(ref.userId) : users.get(`name:${ref.userName.toLowerCase()}`);
  if (!found) {
    const name = "userId" in ref ? "userId" : "userName";
    throw new TRPCError({ code: "NOT_FOUND", message: `${field(at, name)}: no such user in this account` });
  }
  return found;
}

function limitsFor(scope: KeyScope, catalog: Catalog, user: UserState, profileOverageCc: number): OverageLimits {
  return {
    allowed: overageAllowed(scope.overagesEnabled, user.limits.overageSwitch),
    userCap: user.limits.userCap,
    budgetCents: scope.budgetCents,
    profileOverageCc,
    overageCentsPerCredit: catalog.overageCentsPerCredit,
  };
}

/** The profile's overage accepted so far per period, for the budget; locked when it may change. */
async function profileOverage(tx: Executor, scope: KeyScope, periods: string[], lock: boolean): Promise<Map<string, number>> {
  if (scope.budgetCents === null || periods.length === 0) return new Map();
  if (lock) {
    await tx
      .insert(profileMonths)
      .values(periods.map((period) => ({ accountId: scope.accountId, profileId: scope.profileId, period })))
      .onConflictDoNothing();
  }
  const rows = rowsOf<{ period: string; overage_cc: string | number }>(
    await tx.execute(sql`
      select period, overage_cc from profile_months
      where account_id = ${scope.accountId}::uuid and profile_id = ${scope.profileId}::uuid and period = any(${textArray(periods)})
      ${lock ? sql`for update` : sql``}`),
  );
  return new Map(rows.map((r) => [r.period, Number(r.overage_cc)]));
}

const stateOf = (ledger: MonthLedger, allowanceCc: number, period: Period): UsageState => ({
  periodId: period.id,
  periodEnd: period.end.toISOString(),
  allowanceCc,
  usedCc: ledger.includedCc + ledger.overageCc + ledger.unbilledCc,
  includedCc: ledger.includedCc,
  overageCc: ledger.overageCc,
  unbilledCc: ledger.unbilledCc,
});

/** Another request recorded one of these keys between our read and our write: run the whole call again. */
class KeyRace extends Error {}

/**
 * Records events (one, or a batch of up to 1,000) in one transaction, all or nothing (issue 5):
 * each is split by the rules, counters move atomically, the event is stored with its answer, and the
 * same key with the same body answers the stored result again; with another body, CONFLICT.
 */
export async function recordEvents(
  db: Executor & { transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T> },
  catalog: Catalog,
  scope: KeyScope,
  input: UsageEventInput[],
  now: Date,
  indexed: boolean,
): Promise<(EventResult & { replayed: boolean })[]> {
  const events = parseEvents(input, now, indexed);
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction((tx) => recordInTransaction(tx, catalog, scope, events, now, indexed));
    } catch (e) {
      if (!(e instanceof KeyRace) || attempt >= 3) throw e;
    }
  }
}

async function recordInTransaction(tx: Tx, catalog: Catalog, scope: KeyScope, events: ParsedEvent[], now: Date, indexed: boolean) {
  const at = (e: ParsedEvent) => (indexed ? e.index : null);
  const users = await loadUsers(tx, scope, events.map((e) => e.user), true);
  const resolved = events.map((e) => ({ ...e, user: findUser(users, e.user, at(e)) }));

  // Idempotency (edge case 8): keys already stored answer again, or conflict.
  const keys = [...new Set(resolved.map((e) => e.key))];
  const stored = new Map(
    (
      await tx
        .select()
        .from(usageEvents)
        .where(sql`${usageEvents.accountId} = ${scope.accountId}::uuid and ${usageEvents.profileId} = ${scope.profileId}::uuid and ${usageEvents.idempotencyKey} = any(${textArray(keys)})`)
    ).map((r) => [r.idempotencyKey, r]),
  );
  const body = (e: (typeof resolved)[number]) => ({ userId: e.user.userId, creditsCc: e.creditsCc, client: e.client, occurredAt: e.occurredAt });
  const conflict = (e: (typeof resolved)[number], other: ReturnType<typeof body>) => {
    const differs = firstDifference(other, body(e));
    return new TRPCError({ code: "CONFLICT", message: `${field(at(e), "idempotencyKey")}: "${e.key}" was already used for another event (its ${differs} differs)` });
  };

  const periods = [...new Map(resolved.map((e) => [e.period.id, e.period])).values()];
  const ledgers = new Map<string, Map<string, MonthLedger>>();
  for (const period of periods) {
    const userIds = [...new Set(resolved.filter((e) => e.period.id === period.id).map((e) => e.user.userId))];
    const loaded = await loadLedgers(tx, scope.accountId, scope.profileId, period, userIds);
    ledgers.set(period.id, new Map(userIds.map((u) => [u, ledgerFor(period, users.get(u)!.subscription, loaded.get(u) ?? null)])));
  }
  const profileOverageByPeriod = await profileOverage(tx, scope, periods.map((p) => p.id), true);

  const results: (EventResult & { replayed: boolean })[] = [];
  const fresh: { e: (typeof resolved)[number]; result: EventResult }[] = [];
  const firstInBatch = new Map<string, { e: (typeof resolved)[number]; result: EventResult }>();
  const noticeRows: { userId: string; period: string; kind: NoticeKind }[] = [];
  const changedSubs = new Map<string, Subscription>();

  for (const e of resolved) {
    const previous = stored.get(e.key);
    if (previous) {
      const first = { userId: previous.userId, creditsCc: previous.creditsCc, client: previous.client, occurredAt: previous.occurredAt };
      if (!sameEventBody(first, body(e))) throw conflict(e, first);
      results.push({ ...(previous.result as EventResult), replayed: true });
      continue;
    }
    const earlier = firstInBatch.get(e.key);
    if (earlier) {
      if (!sameEventBody(body(earlier.e), body(e))) throw conflict(e, body(earlier.e));
      results.push({ ...earlier.result, replayed: true });
      continue;
    }
    const user = e.user;
    const periodLedgers = ledgers.get(e.period.id)!;
    const profileOverageCc = profileOverageByPeriod.get(e.period.id) ?? 0;
    const outcome = recordUsage({
      catalog,
      stored: user.subscription,
      ledger: periodLedgers.get(user.userId)!,
      creditsCc: e.creditsCc,
      occurredAt: e.occurredAt,
      limits: limitsFor(scope, catalog, user, profileOverageCc),
    });
    if (!outcome.accepted) {
      const name = "userId" in (events[e.index]!.user) ? "userId" : "userName";
      const why = outcome.reason === "access-ended" ? "their access has ended" : "they have no subscription in this profile";
      throw new DomainError(outcome.reason === "access-ended" ? "ACCESS_ENDED" : "NOT_SUBSCRIBED", `${field(at(e), name)}: rejected, ${why}`, field(at(e), name));
    }
    user.subscription = outcome.subscription;
    changedSubs.set(user.userId, outcome.subscription);
    periodLedgers.set(user.userId, outcome.ledger);
    profileOverageByPeriod.set(e.period.id, profileOverageCc + outcome.split.overageCc);
    for (const kind of outcome.notices) noticeRows.push({ userId: user.userId, period: e.period.id, kind });
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
    results.push({ ...result, replayed: false });
  }
  if (fresh.length === 0) return results;

  const inserted = await tx
    .insert(usageEvents)
    .values(
      fresh.map(({ e, result }) => ({
        accountId: scope.accountId,
        profileId: scope.profileId,
        period: e.period.id,
        userId: e.user.userId,
        idempotencyKey: e.key,
        client: e.client,
        creditsCc: e.creditsCc,
        includedCc: result.includedCc,
        overageCc: result.overageCc,
        unbilledCc: result.unbilledCc,
        occurredAt: e.occurredAt,
        recordedAt: now,
        result,
      })),
    )
    .onConflictDoNothing()
    .returning({ key: usageEvents.idempotencyKey });
  if (inserted.length !== fresh.length) throw new KeyRace();

  for (const period of periods) {
    const touched = [...new Set(fresh.filter((f) => f.e.period.id === period.id).map((f) => f.e.user.userId))];
    const periodLedgers = ledgers.get(period.id)!;
    await saveLedgers(tx, scope.accountId, scope.profileId, touched.map((userId) => ({ userId, ledger: periodLedgers.get(userId)! })), now);
    const added = fresh.filter((f) => f.e.period.id === period.id).reduce((s, f) => s + f.result.overageCc, 0);
    if (added > 0 && scope.budgetCents !== null) {
      await tx.execute(sql`update profile_months set overage_cc = overage_cc + ${added}
        where account_id = ${scope.accountId}::uuid and profile_id = ${scope.profileId}::uuid and period = ${period.id}`);
    } else if (added > 0) {
      await tx
        .insert(profileMonths)
        .values({ accountId: scope.accountId, profileId: scope.profileId, period: period.id, overageCc: added })
        .onConflictDoUpdate({ target: [profileMonths.accountId, profileMonths.profileId, profileMonths.period], set: { overageCc: sql`${profileMonths.overageCc} + ${added}` } });
    }
  }
  const subs = [...changedSubs];
  await tx.execute(sql`
    update subscriptions s set status = v.status::subscription_status, activated_at = v.activated_at::timestamptz, last_active_at = v.last_active_at::timestamptz, updated_at = ${now.toISOString()}::timestamptz
    from (values ${sql.join(
      subs.map(([userId, sub]) => sql`(${userId}::uuid, ${sub.status}, ${sub.activatedAt?.toISOString() ?? null}, ${sub.lastActiveAt?.toISOString() ?? null})`),
      sql`, `,
    )}) as v(user_id, status, activated_at, last_active_at)
    where s.account_id = ${scope.accountId}::uuid and s.profile_id = ${scope.profileId}::uuid and s.user_id = v.user_id`);
  if (noticeRows.length > 0) {
    await tx
      .insert(notices)
      .values(noticeRows.map((n) => ({ accountId: scope.accountId, profileId: scope.profileId, userId: n.userId, period: n.period, kind: n.kind, createdAt: now })))
      .onConflictDoNothing();
  }
  return results;
}

/** May this user use paid features now? Read-only (edge case 7): nothing is activated or moved. */
export async function checkEntitlement(db: Executor, catalog: Catalog, scope: KeyScope, ref: UserRef, now: Date) {
  const users = await loadUsers(db, scope, [ref], false);
  const user = findUser(users, ref, null);
  const period = periodOf(now);
  const stored = await loadLedgers(db, scope.accountId, scope.profileId, period, [user.userId]);
  const ledger = ledgerFor(period, user.subscription, stored.get(user.userId) ?? null);
  const overage = await profileOverage(db, scope, [period.id], false);
  const tier = user.subscription?.tier ?? null;
  const allowanceCc = tier ? allowanceOf(catalog, ledger, tier) : 0;
  const decision = decideEntitlement({
    subscription: user.subscription,
    counters: ledger,
    allowanceCc,
    limits: limitsFor(scope, catalog, user, overage.get(period.id) ?? 0),
    now,
  });
  return { userId: user.userId, ...decision, periodEnd: decision.periodEnd.toISOString() };
}

/**
 * The user signed in to the tool (DESIGN.md §2 "Active": first sign-in or first usage): a Pending
 * subscription becomes Active and starts its paid month; "last active" moves.
 */
export async function activateUser(
  db: Executor & { transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T> },
  catalog: Catalog,
  scope: KeyScope,
  ref: UserRef,
  now: Date,
) {
  return db.transaction(async (tx) => {
    const users = await loadUsers(tx, scope, [ref], true);
    const user = findUser(users, ref, null);
    const period = periodOf(now);
    const stored = await loadLedgers(tx, scope.accountId, scope.profileId, period, [user.userId]);
    const ledger = ledgerFor(period, user.subscription, stored.get(user.userId) ?? null);
    const current = user.subscription ? inForce(user.subscription, now) : null;
    if (!current) {
      const ended = user.subscription?.status === "canceled";
      const name = "userId" in ref ? "userId" : "userName";
      throw new DomainError(ended ? "ACCESS_ENDED" : "NOT_SUBSCRIBED", `${name}: ${ended ? "their access has ended" : "they have no subscription in this profile"}`, name);
    }
    const activated = current.status === "pending";
    const sub = recordActivity(current, now);
    const next = activated ? noteActive(catalog, ledger, sub.tier, now) : ledger;
    if (activated) await saveLedgers(tx, scope.accountId, scope.profileId, [{ userId: user.userId, ledger: next }], now);
    await tx.execute(sql`update subscriptions set status = ${sub.status}::subscription_status, activated_at = ${sub.activatedAt?.toISOString() ?? null}::timestamptz,
      last_active_at = ${sub.lastActiveAt?.toISOString() ?? null}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
      where account_id = ${scope.accountId}::uuid and profile_id = ${scope.profileId}::uuid and user_id = ${user.userId}::uuid`);
    return { userId: user.userId, activated, status: sub.status, tier: sub.tier, lastActiveAt: now.toISOString() };
  });
}
