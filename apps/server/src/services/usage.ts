import { TRPCError } from "@trpc/server";
import { sql, type SQL } from "drizzle-orm";
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
  maxTargetsPerCall,
} from "@seatdesk/domain";
import { closeLockKey, runPrepared, uuidArray, type Executor, type Tx } from "@seatdesk/db";
import type { KeyScope } from "../auth/api-keys";
import { saveLedgers } from "./ledgers";

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
  /** When the request carrying it arrived (the `now` it was validated against): the event's recorded_at. */
  receivedAt: Date;
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
      receivedAt: now,
    };
  });
}

interface UserState {
  userId: string;
  userName: string;
  subscription: Subscription | null;
  limits: { userCap: Cap; overageSwitch: OverageSwitch };
}

const textArray = (values: string[]) => sql`${`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`}::text[]`;

/**
 * `column in ($1, …, $n)` for a few values, `column = any(array)` for more. With scalar parameters
 * PostgreSQL keeps one generic plan of the statement per list length (a single event, or a small group
 * of them, is the hot path) instead of planning it again on every call: for an array of unknown
 * length the generic plan looks costly, so a custom plan is made each time. Beyond `scalarListMax`
 * values (batches), the planning is shared by many events.
 */
function inList(column: SQL, values: string[], type: "uuid" | "text"): SQL {
  const cast = sql.raw(`::${type}`);
  if (values.length === 1) return sql`${column} = ${values[0]}${cast}`;
  if (values.length > 0 && values.length <= scalarListMax) return sql`${column} in (${sql.join(values.map((v) => sql`${v}${cast}`), sql`, `)})`;
  return sql`${column} = any(${type === "uuid" ? uuidArray(values) : textArray(values)})`;
}
const scalarListMax = 16;


const date = (v: string | Date | null) => (v === null ? null : new Date(v));

interface UserRow {
  id: string;
  user_name: string;
  tier: TierId | null;
  status: Subscription["status"] | null;
  scheduled_tier: TierId | null;
  scheduled_at: string | null;
  access_ends_at: string | null;
  activated_at: string | null;
  last_active_at: string | null;
  user_cap_set: boolean;
  user_cap_cc: string | number | null;
  group_caps: (number | string | null)[] | null;
  overage_switch: OverageSwitch | null;
}
interface LedgerRow {
  user_id: string;
  period: string;
  fee_tier: TierId | null;
  active_at_start: boolean;
  first_activated_at: string | null;
  included_cc: number | string;
  overage_cc: number | string;
  unbilled_cc: number | string;
}
interface StoredRow {
  key: string;
  user_id: string;
  credits_cc: number | string;
  client: string;
  occurred_at: string;
  result: EventResult;
}

interface EventRow {
  period: string;
  user_id: string;
  idempotency_key: string;
  client: string;
  credits_cc: number;
  included_cc: number;
  overage_cc: number;
  unbilled_cc: number;
  occurred_at: string;
  recorded_at: string;
  result: EventResult;
}
interface LedgerWrite {
  period: string;
  user_id: string;
  fee_tier: TierId | null;
  active_at_start: boolean;
  first_activated_at: string | null;
  included_cc: number;
  overage_cc: number;
  unbilled_cc: number;
}
interface NoticeWrite {
  user_id: string;
  period: string;
  kind: NoticeKind;
  created_at: string;
}
interface SubscriptionWrite {
  user_id: string;
  status: Subscription["status"];
  activated_at: string | null;
  last_active_at: string | null;
}

/**
 * Every write of a record in one statement: the events, the ledgers they moved, the profile's overage,
 * the subscriptions (activation, "last active") and the notices. Counts the events inserted: fewer than
 * sent means another request stored one of these keys since the read (see KeyRace).
 */
function writeMany(
  scope: KeyScope,
  now: Date,
  events: EventRow[],
  ledgers: LedgerWrite[],
  overage: { period: string; added: number }[],
  subs: SubscriptionWrite[],
  noticeRows: NoticeWrite[],
): SQL {
  const account = sql`${scope.accountId}::uuid`;
  const profile = sql`${scope.profileId}::uuid`;
  const recordedAt = sql`${now.toISOString()}::timestamptz`;
  return sql`with
      ev as (
        insert into usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at, result)
        select ${account}, ${profile}, v.period, v.user_id, v.idempotency_key, v.client, v.credits_cc, v.included_cc, v.overage_cc, v.unbilled_cc, v.occurred_at, v.recorded_at, v.result
        from json_to_recordset(${JSON.stringify(events)}::json) as v(period text, user_id uuid, idempotency_key text, client text, credits_cc bigint,
          included_cc bigint, overage_cc bigint, unbilled_cc bigint, occurred_at timestamptz, recorded_at timestamptz, result jsonb)
        on conflict do nothing
        returning 1),
      led as (
        insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, first_activated_at, included_cc, overage_cc, unbilled_cc, updated_at)
        select ${account}, ${profile}, v.period, v.user_id, v.fee_tier::tier, v.active_at_start, v.first_activated_at, v.included_cc, v.overage_cc, v.unbilled_cc, ${recordedAt}
        from json_to_recordset(${JSON.stringify(ledgers)}::json) as v(period text, user_id uuid, fee_tier text, active_at_start boolean, first_activated_at timestamptz,
          included_cc bigint, overage_cc bigint, unbilled_cc bigint)
        ${ledgerConflict}),
      pm as (
        insert into profile_months (account_id, profile_id, period, overage_cc)
        select ${account}, ${profile}, v.period, v.added from json_to_recordset(${JSON.stringify(overage)}::json) as v(period text, added bigint)
        ${profileMonthConflict}),
      sub as (
        update subscriptions s set status = v.status::subscription_status, activated_at = v.activated_at, last_active_at = v.last_active_at, updated_at = ${recordedAt}
        from json_to_recordset(${JSON.stringify(subs)}::json) as v(user_id uuid, status text, activated_at timestamptz, last_active_at timestamptz)
        where s.account_id = ${account} and s.profile_id = ${profile} and s.user_id = any(${uuidArray(subs.map((r) => r.user_id))}) and s.user_id = v.user_id),
      nt as (
        insert into notices (account_id, profile_id, user_id, period, kind, created_at)
        select ${account}, ${profile}, v.user_id, v.period, v.kind, v.created_at
        from json_to_recordset(${JSON.stringify(noticeRows)}::json) as v(user_id uuid, period text, kind text, created_at timestamptz)
        on conflict do nothing)
      select count(*) as inserted from ev`;
}

/** writeMany for the hot path, one event of one user: the same writes with scalar parameters only, so the statement keeps one generic plan. */
function writeOne(scope: KeyScope, e: EventRow, l: LedgerWrite, overageAdded: number, sub: SubscriptionWrite, kinds: NoticeKind[]): SQL {
  const account = sql`${scope.accountId}::uuid`;
  const profile = sql`${scope.profileId}::uuid`;
  const recordedAt = sql`${e.recorded_at}::timestamptz`;
  const user = sql`${e.user_id}::uuid`;
  const period = sql`${e.period}::text`;
  return sql`with
      ev as (
        insert into usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at, result)
        values (${account}, ${profile}, ${period}, ${user}, ${e.idempotency_key}::text, ${e.client}::text, ${e.credits_cc}::bigint, ${e.included_cc}::bigint, ${e.overage_cc}::bigint,
          ${e.unbilled_cc}::bigint, ${e.occurred_at}::timestamptz, ${recordedAt}, ${JSON.stringify(e.result)}::jsonb)
        on conflict do nothing
        returning 1),
      led as (
        insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, first_activated_at, included_cc, overage_cc, unbilled_cc, updated_at)
        values (${account}, ${profile}, ${period}, ${user}, ${l.fee_tier}::tier, ${l.active_at_start}::boolean, ${l.first_activated_at}::timestamptz, ${l.included_cc}::bigint,
          ${l.overage_cc}::bigint, ${l.unbilled_cc}::bigint, ${recordedAt})
        ${ledgerConflict}),
      pm as (
        insert into profile_months (account_id, profile_id, period, overage_cc)
        select ${account}, ${profile}, ${period}, a.added from (select ${overageAdded}::bigint as added) as a where a.added > 0
        ${profileMonthConflict}),
      sub as (
        update subscriptions set status = ${sub.status}::subscription_status, activated_at = ${sub.activated_at}::timestamptz, last_active_at = ${sub.last_active_at}::timestamptz,
          updated_at = ${recordedAt}
        where account_id = ${account} and profile_id = ${profile} and user_id = ${user}),
      nt as (
        insert into notices (account_id, profile_id, user_id, period, kind, created_at)
        select ${account}, ${profile}, ${user}, ${period}, k, ${recordedAt} from unnest(${textArray(kinds)}) as k
        on conflict do nothing)
      select count(*) as inserted from ev`;
}

const ledgerConflict = sql`on conflict (account_id, profile_id, period, user_id) do update set fee_tier = excluded.fee_tier, active_at_start = excluded.active_at_start,
          first_activated_at = excluded.first_activated_at, included_cc = excluded.included_cc, overage_cc = excluded.overage_cc,
          unbilled_cc = excluded.unbilled_cc, updated_at = excluded.updated_at`;
const profileMonthConflict = sql`on conflict (account_id, profile_id, period) do update set overage_cc = profile_months.overage_cc + excluded.overage_cc`;

/** What one read gives: the users, their ledgers of the periods asked, the events already stored under the keys asked, the profile's overage. */
interface Loaded {
  users: Map<string, UserState>;
  ledgers: Map<string, MonthLedger>;
  stored: Map<string, { userId: string; creditsCc: number; client: string; occurredAt: Date; result: EventResult }>;
  profileOverage: Map<string, number>;
}

const ledgerKey = (period: string, userId: string) => `${period}/${userId}`;

/**
 * Reads everything a check or a record needs in one statement (deleted users are unknown: DESIGN.md §2
 * edge case 9): the users these references name with their subscription in the profile and what their
 * cap resolves from, their ledgers of `periods`, the events stored under `keys`, and (with a budget)
 * the profile's overage in `periods`. With `lock`, first (in a statement of its own, so the read that
 * follows sees what the previous holder committed) the subscription rows are locked, so concurrent
 * events of one user (or one key) take turns; and with a budget, the profile's month rows.
 */
async function load(db: Executor, scope: KeyScope, refs: UserRef[], periods: string[], keys: string[], lock: boolean): Promise<Loaded> {
  const ids = [...new Set(refs.flatMap((r) => ("userId" in r ? [r.userId] : [])))];
  const names = [...new Set(refs.flatMap((r) => ("userName" in r ? [r.userName.toLowerCase()] : [])))];
  const account = sql`${scope.accountId}::uuid`;
  const profile = sql`${scope.profileId}::uuid`;
  const byId = ids.length ? inList(sql`u.id`, ids, "uuid") : null;
  const byName = names.length ? inList(sql`lower(u.user_name)`, names, "text") : null;
  const who = sql`u.account_id = ${account} and u.deleted_at is null and ${byId && byName ? sql`(${byId} or ${byName})` : (byId ?? byName ?? sql`false`)}`;
  const budget = scope.budgetCents !== null;
  // The locks and the read are sent together (pipelined: one round trip); PostgreSQL runs them in order,
  // and the read, a statement of its own, sees what a previous holder of the locks committed.
  const statements: Promise<unknown[]>[] = [];
  if (lock) {
    statements.push(
      runPrepared(
        db,
        "usage_lock_subscriptions",
        sql`select 1 from subscriptions s join directory_users u on u.account_id = s.account_id and u.id = s.user_id
          where s.account_id = ${account} and s.profile_id = ${profile} and ${who}${byId && !byName ? sql` and ${inList(sql`s.user_id`, ids, "uuid")}` : sql``}
          order by s.user_id for update of s`,
      ),
    );
    if (budget && periods.length > 0) {
      statements.push(
        runPrepared(
          db,
          "usage_open_profile_months",
          sql`insert into profile_months (account_id, profile_id, period) select ${account}, ${profile}, p from unnest(${textArray(periods)}) as p on conflict do nothing`,
        ),
        runPrepared(
          db,
          "usage_lock_profile_months",
          sql`select 1 from profile_months pm where pm.account_id = ${account} and pm.profile_id = ${profile} and ${inList(sql`pm.period`, periods, "text")} order by pm.period for update`,
        ),
      );
    }
  }
  const read = runPrepared<{ users: UserRow[]; ledgers: LedgerRow[]; stored: StoredRow[]; profile: { period: string; overage_cc: number | string }[] }>(
    db,
    "usage_load",
    sql`with who as (select u.account_id, u.id, u.user_name from directory_users u where ${who})
      select
        (select coalesce(json_agg(json_build_object(
            'id', u.id, 'user_name', u.user_name, 'tier', s.tier, 'status', s.status, 'scheduled_tier', s.scheduled_tier, 'scheduled_at', s.scheduled_at,
            'access_ends_at', s.access_ends_at, 'activated_at', s.activated_at, 'last_active_at', s.last_active_at,
            'user_cap_set', uo.id is not null, 'user_cap_cc', uo.cap_cc,
            'group_caps', (select array_agg(co.cap_cc) from cap_overrides co join group_members gm on gm.account_id = co.account_id and gm.group_id = co.group_id
              where co.account_id = u.account_id and co.profile_id = ${profile} and gm.user_id = u.id),
            'overage_switch', sw.value)), '[]'::json)
          from who u
          left join subscriptions s on s.account_id = ${account} and s.profile_id = ${profile} and s.user_id = u.id
          left join cap_overrides uo on uo.account_id = ${account} and uo.profile_id = ${profile} and uo.user_id = u.id
          left join overage_switches sw on sw.account_id = ${account} and sw.profile_id = ${profile} and sw.user_id = u.id) as users,
        (select coalesce(json_agg(json_build_object(
            'user_id', m.user_id, 'period', m.period, 'fee_tier', m.fee_tier, 'active_at_start', m.active_at_start, 'first_activated_at', m.first_activated_at,
            'included_cc', m.included_cc, 'overage_cc', m.overage_cc, 'unbilled_cc', m.unbilled_cc)), '[]'::json)
          from who u join subscription_months m on m.account_id = ${account} and m.profile_id = ${profile} and m.user_id = u.id
          where ${inList(sql`m.period`, periods, "text")}) as ledgers,
        ${
          keys.length === 0
            ? sql`'[]'::json`
            : sql`(select coalesce(json_agg(json_build_object(
            'key', e.idempotency_key, 'user_id', e.user_id, 'credits_cc', e.credits_cc, 'client', e.client, 'occurred_at', e.occurred_at, 'result', e.result)), '[]'::json)
          from usage_events e where e.account_id = ${account} and e.profile_id = ${profile} and ${inList(sql`e.idempotency_key`, keys, "text")})`
        } as stored,
        ${
          !budget || periods.length === 0
            ? sql`'[]'::json`
            : sql`(select coalesce(json_agg(json_build_object('period', pm.period, 'overage_cc', pm.overage_cc)), '[]'::json)
          from profile_months pm where pm.account_id = ${account} and pm.profile_id = ${profile} and ${inList(sql`pm.period`, periods, "text")})`
        } as profile`,
  );
  statements.push(read);
  // In order: a failed lock fails the statements after it, and its own error is the one to report.
  for (const settled of await Promise.allSettled(statements)) if (settled.status === "rejected") throw settled.reason;
  const [row] = await read;
  const cap = (v: string | number | null): Cap => (v === null ? "unlimited" : Number(v));
  const users = new Map<string, UserState>();
  for (const r of row!.users) {
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
    users.set(r.id, state);
    users.set(`name:${r.user_name.toLowerCase()}`, state);
  }
  const ledgers = new Map<string, MonthLedger>();
  for (const m of row!.ledgers) {
    ledgers.set(ledgerKey(m.period, m.user_id), {
      periodId: m.period,
      feeTier: m.fee_tier,
      activeAtStart: m.active_at_start,
      firstActivatedAt: date(m.first_activated_at),
      includedCc: Number(m.included_cc),
      overageCc: Number(m.overage_cc),
      unbilledCc: Number(m.unbilled_cc),
    });
  }
  const stored = new Map(
    row!.stored.map((e) => [e.key, { userId: e.user_id, creditsCc: Number(e.credits_cc), client: e.client, occurredAt: new Date(e.occurred_at), result: e.result }]),
  );
  return { users, ledgers, stored, profileOverage: new Map(row!.profile.map((p) => [p.period, Number(p.overage_cc)])) };
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

type Database = Executor & { transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T> };
type Recorded = EventResult & { replayed: boolean };

/**
 * Records events (one, or a batch of up to 1,000) in one transaction, all or nothing (issue 5):
 * each is split by the rules, counters move atomically, the event is stored with its answer, and the
 * same key with the same body answers the stored result again; with another body, CONFLICT.
 *
 * A single event (`usage.record`) is validated here and then recorded together with the other single
 * events of the same profile that arrive in the same turn of the event loop (see coalesce).
 */
export async function recordEvents(db: Database, catalog: Catalog, scope: KeyScope, input: UsageEventInput[], now: Date, indexed: boolean): Promise<Recorded[]> {
  const events = parseEvents(input, now, indexed);
  if (events.length === 1 && !indexed) return [await coalesce(db, catalog, scope, events[0]!)];
  return record(db, catalog, scope, events, indexed);
}

async function record(db: Database, catalog: Catalog, scope: KeyScope, events: ParsedEvent[], indexed: boolean): Promise<Recorded[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction((tx) => recordInTransaction(tx, catalog, scope, events, indexed));
    } catch (e) {
      if (!(e instanceof KeyRace) || attempt >= 3) throw e;
    }
  }
}

interface Waiting {
  catalog: Catalog;
  scope: KeyScope;
  event: ParsedEvent;
  resolve: (r: Recorded) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups of single events of one profile recorded at the same time; events arriving meanwhile wait and
 * go together as the next group. Two rather than one, so that a group waiting for a user's lock (a
 * batch holding it) does not hold up every other event of the profile.
 */
const groupsInFlight = 2;

interface Lane {
  catalog: Catalog;
  key: string;
  running: number;
  queue: Waiting[];
  scheduled: boolean;
}
/** Per database, catalog and profile settings; a lane is dropped when idle. */
const lanes = new WeakMap<Database, WeakMap<Catalog, Map<string, Lane>>>();

const scopeKey = (s: KeyScope) => `${s.accountId}/${s.profileId}/${s.overagesEnabled}/${s.defaultCapCc}/${s.budgetCents}`;

function laneOf(db: Database, catalog: Catalog, scope: KeyScope): Lane {
  let byCatalog = lanes.get(db);
  if (!byCatalog) lanes.set(db, (byCatalog = new WeakMap()));
  let byScope = byCatalog.get(catalog);
  if (!byScope) byCatalog.set(catalog, (byScope = new Map()));
  const key = scopeKey(scope);
  let lane = byScope.get(key);
  if (!lane) byScope.set(key, (lane = { catalog, key, running: 0, queue: [], scheduled: false }));
  return lane;
}

/**
 * Concurrent single events of one profile are recorded together, as group commit does: while
 * `groupsInFlight` groups of the profile are being recorded, arriving events wait, and when one
 * finishes, all those waiting go as the next group, in one transaction: one BEGIN, one lock, one read,
 * one write and one COMMIT for all of them instead of one each, which is most of what an event costs
 * PostgreSQL. Without contention an event goes at once (on the next turn of the event loop). A group
 * runs exactly as a batch does, event after event through the rules, so each answer is the one the
 * events would get one after the other in arrival order (an order concurrent requests may take
 * anyway), and each event keeps the time its request arrived. If a group fails for any reason (one
 * event's user unknown, a CONFLICT, ...), nothing of it was written, and every event of it is recorded
 * again on its own, so each request gets exactly its own answer or error.
 */
function coalesce(db: Database, catalog: Catalog, scope: KeyScope, event: ParsedEvent): Promise<Recorded> {
  return new Promise((resolve, reject) => {
    const lane = laneOf(db, catalog, scope);
    lane.queue.push({ catalog, scope, event, resolve, reject });
    startNext(db, lane);
  });
}

function startNext(db: Database, lane: Lane) {
  if (lane.scheduled || lane.running >= groupsInFlight || lane.queue.length === 0) return;
  lane.scheduled = true;
  // On the next turn, so that the events arriving in this one go together.
  setImmediate(() => {
    lane.scheduled = false;
    const group = lane.queue.splice(0, maxTargetsPerCall);
    lane.running++;
    void recordGroup(db, group).finally(() => {
      lane.running--;
      startNext(db, lane);
      if (lane.running === 0 && lane.queue.length === 0 && !lane.scheduled) lanes.get(db)?.get(lane.catalog)?.delete(lane.key);
    });
    startNext(db, lane);
  });
}

/**
 * A late event (one for the previous month, in its grace window) and that month's close exclude each
 * other: the event's transaction holds the profile's close lock shared and re-reads how far the profile
 * is closed; the close holds it exclusively (packages/scheduler). So a late event lands in the month
 * before its invoice is made, or is refused after: never in both, never lost. Events of the current
 * month, the hot path, take no lock.
 */
async function refuseClosedPeriods(tx: Tx, scope: KeyScope, events: ParsedEvent[], at: (e: ParsedEvent) => number | null) {
  const late = events.filter((e) => e.period.end.getTime() <= e.receivedAt.getTime());
  if (late.length === 0) return;
  // Two statements: a statement's snapshot is taken before it waits, so the read must come after the lock.
  await runPrepared(tx, "usage_close_lock", sql`select pg_advisory_xact_lock_shared(${closeLockKey(scope.profileId)})::text as locked`);
  const [profile] = await runPrepared<{ closed_through: string | null }>(
    tx,
    "usage_closed_through",
    sql`select closed_through from profiles where account_id = ${scope.accountId}::uuid and id = ${scope.profileId}::uuid`,
  );
  const closedThrough = profile?.closed_through ?? null;
  const closed = closedThrough === null ? undefined : late.find((e) => e.period.id <= closedThrough);
  if (closed) {
    const name = field(at(closed), "occurredAt");
    throw new DomainError("PERIOD_CLOSED", `${name}: the period ${closed.period.id} is closed and invoiced; late events are no longer accepted`, name);
  }
}

async function recordGroup(db: Database, group: Waiting[]) {
  const alone = (w: Waiting) =>
    record(db, w.catalog, w.scope, [w.event], false).then(
      ([r]) => w.resolve(r!),
      (e: unknown) => w.reject(e),
    );
  if (group.length === 1) return alone(group[0]!);
  const first = group[0]!;
  let results: Recorded[];
  try {
    results = await record(db, first.catalog, first.scope, group.map((w, index) => ({ ...w.event, index })), false);
  } catch {
    await Promise.all(group.map(alone));
    return;
  }
  group.forEach((w, i) => w.resolve(results[i]!));
}

async function recordInTransaction(tx: Tx, catalog: Catalog, scope: KeyScope, events: ParsedEvent[], indexed: boolean) {
  const at = (e: ParsedEvent) => (indexed ? e.index : null);
  await refuseClosedPeriods(tx, scope, events, at);
  const periods = [...new Map(events.map((e) => [e.period.id, e.period])).values()];
  const keys = [...new Set(events.map((e) => e.key))];
  const loaded = await load(tx, scope, events.map((e) => e.user), periods.map((p) => p.id), keys, true);
  const users = loaded.users;
  const resolved = events.map((e) => ({ ...e, user: findUser(users, e.user, at(e)) }));

  // Idempotency (edge case 8): keys already stored answer again, or conflict.
  const stored = loaded.stored;
  const body = (e: (typeof resolved)[number]) => ({ userId: e.user.userId, creditsCc: e.creditsCc, client: e.client, occurredAt: e.occurredAt });
  const conflict = (e: (typeof resolved)[number], other: ReturnType<typeof body>) => {
    const differs = firstDifference(other, body(e));
    return new TRPCError({ code: "CONFLICT", message: `${field(at(e), "idempotencyKey")}: "${e.key}" was already used for another event (its ${differs} differs)` });
  };

  const ledgers = new Map<string, Map<string, MonthLedger>>();
  for (const period of periods) {
    const userIds = [...new Set(resolved.filter((e) => e.period.id === period.id).map((e) => e.user.userId))];
    ledgers.set(period.id, new Map(userIds.map((u) => [u, ledgerFor(period, users.get(u)!.subscription, loaded.ledgers.get(ledgerKey(period.id, u)) ?? null)])));
  }
  const profileOverageByPeriod = loaded.profileOverage;

  const results: (EventResult & { replayed: boolean })[] = [];
  const fresh: { e: (typeof resolved)[number]; result: EventResult }[] = [];
  const firstInBatch = new Map<string, { e: (typeof resolved)[number]; result: EventResult }>();
  const noticeRows: NoticeWrite[] = [];
  const changedSubs = new Map<string, Subscription>();

  for (const e of resolved) {
    const previous = stored.get(e.key);
    if (previous) {
      const first = { userId: previous.userId, creditsCc: previous.creditsCc, client: previous.client, occurredAt: previous.occurredAt };
      if (!sameEventBody(first, body(e))) throw conflict(e, first);
      results.push({ ...previous.result, replayed: true });
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
    results.push({ ...result, replayed: false });
  }
  if (fresh.length === 0) return results;

  // Every write in one statement: the events, the ledgers they moved, the profile's overage, the
  // subscriptions (activation, "last active") and the notices. If another request stored one of these
  // keys since the read, fewer events are inserted and the whole call runs again (KeyRace).
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
  const [written] = await runPrepared<{ inserted: number | string }>(
    tx,
    "usage_write",
    eventRows.length === 1 && ledgerRows.length === 1 && subRows.length === 1 && overageRows.length <= 1
      ? writeOne(scope, eventRows[0]!, ledgerRows[0]!, overageRows[0]?.added ?? 0, subRows[0]!, noticeRows.map((n) => n.kind))
      : writeMany(scope, now, eventRows, ledgerRows, overageRows, subRows, noticeRows),
  );
  if (Number(written!.inserted) !== fresh.length) throw new KeyRace();
  return results;
}

/** May this user use paid features now? Read-only (edge case 7): nothing is activated or moved. One statement. */
export async function checkEntitlement(db: Executor, catalog: Catalog, scope: KeyScope, ref: UserRef, now: Date) {
  const period = periodOf(now);
  const loaded = await load(db, scope, [ref], [period.id], [], false);
  const user = findUser(loaded.users, ref, null);
  const ledger = ledgerFor(period, user.subscription, loaded.ledgers.get(ledgerKey(period.id, user.userId)) ?? null);
  const tier = user.subscription?.tier ?? null;
  const allowanceCc = tier ? allowanceOf(catalog, ledger, tier) : 0;
  const decision = decideEntitlement({
    subscription: user.subscription,
    counters: ledger,
    allowanceCc,
    limits: limitsFor(scope, catalog, user, loaded.profileOverage.get(period.id) ?? 0),
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
    const period = periodOf(now);
    const loaded = await load(tx, { ...scope, budgetCents: null }, [ref], [period.id], [], true);
    const user = findUser(loaded.users, ref, null);
    const ledger = ledgerFor(period, user.subscription, loaded.ledgers.get(ledgerKey(period.id, user.userId)) ?? null);
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
