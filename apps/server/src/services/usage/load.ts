import { sql, type SQL } from "drizzle-orm";
import {
  DomainError,
  overageAllowed,
  resolveUserCap,
  type Cap,
  type Catalog,
  type FirstMonthMode,
  type MonthLedger,
  type OverageLimits,
  type OverageSwitch,
  type Subscription,
  type TierId,
} from "@seatdesk/domain";
import { bind, closeLockKeyOf, foldName, ledgerOf, runPrepared, Shapes, subscriptionOf, type Executor } from "@seatdesk/db";
import { KeyNoLongerValid, openKey, storedKeyColumns, type KeyScope, type PresentedKey, type StoredKey } from "../../auth/api-keys";
import { field, type UserRef } from "./parse";
import type { EventResult } from "./types";

/** `{"a","b"}`: a list of texts as one array parameter's value (quoted, so any text is safe). */
export const textArrayLiteral = (values: string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;

/**
 * Beyond this many values, a list travels as one array parameter. With scalar parameters PostgreSQL keeps
 * one generic plan of the statement per list length (a single event, or a small group of them, is the hot
 * path) instead of planning it again on every call: for an array of unknown length the generic plan looks
 * costly, so a custom plan is made each time. Beyond `scalarListMax` values (batches), the planning is
 * shared by many events.
 */
const scalarListMax = 16;

/** How a list is sent: its length while it is sent as scalars, "array" beyond. Part of a statement's shape. */
const listShape = (values: readonly string[]) => (values.length <= scalarListMax ? values.length : "array");

/** `column in ($1, …, $n)` for a list of `listShape` n (named `<name>0` … `<name>n-1`), `column = any($1)` for an array (named `<name>`). */
function inList(column: SQL, name: string, shape: number | "array", type: "uuid" | "text"): SQL {
  const cast = sql.raw(`::${type}`);
  if (shape === "array") return sql`${column} = any(${sql.placeholder(name)}${sql.raw(`::${type}[]`)})`;
  if (shape === 1) return sql`${column} = ${sql.placeholder(`${name}0`)}${cast}`;
  return sql`${column} in (${sql.join(
    Array.from({ length: shape }, (_, i) => sql`${sql.placeholder(`${name}${i}`)}${cast}`),
    sql`, `,
  )})`;
}

/** The values of a list sent as `inList` sends it. */
function listValues(values: Record<string, unknown>, name: string, list: readonly string[], type: "uuid" | "text") {
  if (listShape(list) === "array") values[name] = type === "uuid" ? `{${list.join(",")}}` : textArrayLiteral([...list]);
  else list.forEach((v, i) => (values[`${name}${i}`] = v));
}

/** The statements of load, rendered once per shape (see `shapeOf`). */
const shapes = new Shapes();

/**
 * The profile's settings the usage rules read, as the transaction's read saw them (never as the API key's
 * check saw them, a moment earlier): a change committed before the read is the one the event sees.
 */
export interface ProfileLimits {
  overagesEnabled: boolean;
  defaultCapCc: number | null;
  budgetCents: number | null;
  firstMonth: FirstMonthMode;
  /** The last period the month close finalized (and invoiced), if any. */
  closedThrough: string | null;
}

export interface UserState {
  userId: string;
  userName: string;
  subscription: Subscription | null;
  limits: { userCap: Cap; overageSwitch: OverageSwitch };
  /** Deleted by the identity provider: unknown to new events and checks (edge case 9). */
  deleted: boolean;
}

interface UserRow {
  id: string;
  user_name: string;
  deleted: boolean;
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
  first_month_prorated: boolean;
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
interface SettingsRow {
  overages_enabled: boolean;
  default_cap_cc: number | string | null;
  budget_cents: number | string | null;
  first_month: FirstMonthMode;
  closed_through: string | null;
}

/** An event stored under an idempotency key: its body and the answer it got. */
export interface StoredEvent {
  userId: string;
  creditsCc: number;
  client: string;
  occurredAt: Date;
  result: EventResult;
}

/** What one read gives: the scope of the key (verified here when the read was given the key itself), the profile's settings, the users, their ledgers of the periods asked, the events already stored under the keys asked, the profile's overage. */
export interface Loaded {
  scope: KeyScope;
  profile: ProfileLimits;
  users: Map<string, UserState>;
  ledgers: Map<string, MonthLedger>;
  stored: Map<string, StoredEvent>;
  /** Per period, the overage the profile accepted (read only with a budget: nothing else reads it). */
  profileOverage: Map<string, number>;
  /** How many of the periods' profile_months rows this transaction holds locked (0 without `locks.budget`). */
  lockedPeriods: number;
}

/**
 * The locks a read takes first, in this order (the order the month close and other events take them in):
 * `close`, the profile's close lock, shared (a late event in its month's grace window, see record.ts);
 * `subscriptions`, the rows of the users named, so concurrent events of one user (or one key) take turns;
 * `budget`, the profile's month rows of the periods, so events of a profile with a budget take turns on it.
 */
export interface Locks {
  close: boolean;
  subscriptions: boolean;
  budget: boolean;
}
export const noLocks: Locks = { close: false, subscriptions: false, budget: false };
export const subscriptionLocks: Locks = { close: false, subscriptions: true, budget: false };

export const ledgerKey = (period: string, userId: string) => `${period}/${userId}`;

/** What a load's statements depend on: whether the key is read with them, and how each list is sent (`listShape`). */
interface Shape {
  presented: boolean;
  ids: number | "array";
  names: number | "array";
  periods: number | "array";
  keys: number | "array";
  confirm: number | "array";
}

/** The account and profile: given (a verified key's scope), or those of the key the statement reads (`k`). */
const accountOf = (s: Shape) => (s.presented ? sql`(select k.account_id from k)` : sql`${sql.placeholder("account")}::uuid`);
const profileOf = (s: Shape) => (s.presented ? sql`(select k.profile_id from k)` : sql`${sql.placeholder("profile")}::uuid`);

/**
 * The rows `query` gives for each value of a list, probing an index once per value. A list compared with
 * `in (…)` or `= any(…)` on an index's second or third column is an index condition or a filter at the
 * planner's choice, by the rows it expects under the columns before it; a generic plan expects the average
 * profile's (or account's), which among many small tenants is a handful, so a large profile's list was
 * filtered across every one of its rows (a read of 2 to 8 idempotency keys in a profile of 300,000: 95 to
 * 172 ms instead of a fraction of one). An equality with one value is always an index condition, and a
 * LATERAL subquery kept apart by OFFSET 0 (it would otherwise be flattened into a join, planned by the same
 * estimate: a merge join over the whole profile) is run once per value. A single value needs no list. The
 * read joins each user's rows (subscription, overrides, ledgers) the same way. test/usage-plans.test.ts
 * runs these statements under generic plans among 1,500 small tenants.
 *
 * A list past `scalarListMax` (a batch) is one array, compared with `= any(…)`: such a statement is planned
 * for its values on every call (see scalarListMax), with the tenant's own statistics; one probe per value
 * and per user made a batch of 500's read about a tenth slower (19-21 ms against 18-19 ms on a profile of
 * 2,000 users), time the batch spends holding its locks.
 */
function eachOf(name: string, shape: number | "array", type: "uuid" | "text", query: (value: SQL) => SQL): SQL {
  if (shape === 1) return query(sql`${sql.placeholder(`${name}0`)}${sql.raw(`::${type}`)}`);
  if (shape === "array") return query(sql`any(${sql.placeholder(name)}${sql.raw(`::${type}[]`)})`);
  return sql`select x.* from ${listRows(name, shape, type)} cross join lateral (${query(sql`q.v`)} offset 0) as x`;
}

/** Whether any list of the shape is an array (a batch): its statements are planned for their values on each call. */
const isBatch = (s: Shape) => s.ids === "array" || s.names === "array" || s.keys === "array" || s.periods === "array";
/** How a lookup of each user's rows is kept apart from the join (eachOf): not for a batch, planned for its values. */
const perUser = (s: Shape) => (isBatch(s) ? sql`` : sql` offset 0`);

/** A list of 2 to `scalarListMax` scalar parameters as rows `q(v)`. */
function listRows(name: string, shape: number, type: "uuid" | "text"): SQL {
  return sql`(values ${sql.join(
    Array.from({ length: shape }, (_, i) => sql`(${sql.placeholder(`${name}${i}`)}${sql.raw(`::${type}`)})`),
    sql`, `,
  )}) as q(v)`;
}

/**
 * The directory users the references name (`columns` of directory_users u), each found by an index probe
 * (eachOf). Deleted people are read too: a retry of an event accepted before the deletion still answers
 * (edge case 14).
 */
function whoOf(s: Shape, columns: SQL): SQL {
  const account = accountOf(s);
  const parts = [
    ...(s.ids ? [eachOf("id", s.ids, "uuid", (v) => sql`select ${columns} from directory_users u where u.account_id = ${account} and u.id = ${v}`)] : []),
    ...(s.names ? [eachOf("name", s.names, "text", (v) => sql`select ${columns} from directory_users u where u.account_id = ${account} and seatdesk_fold(u.user_name) = ${v}`)] : []),
  ];
  // Named by both id and name, a user is one row.
  return parts.length > 0 ? sql.join(parts, sql` union `) : sql`select ${columns} from directory_users u where false`;
}

const closeLockStatement = sql`select pg_advisory_xact_lock_shared(${closeLockKeyOf(sql`${sql.placeholder("profile")}::uuid`)})::text as locked`;

/**
 * The subscriptions of the users referenced, locked in user order (as every transaction that locks
 * subscriptions does, so that two never wait for each other), each found by an index probe (eachOf). A
 * single user by id is one probe; more are sorted first and locked one by one in that order, references by
 * name through the directory first; a batch's are locked as the planner reads them, sorted. A subscription's
 * user is a directory user of its account (its foreign key), so ids need no join.
 */
function lockSubscriptionsStatement(s: Shape): SQL {
  const lock = (user: SQL) => sql`select 1 from subscriptions s where s.account_id = ${accountOf(s)} and s.profile_id = ${profileOf(s)} and s.user_id = ${user}`;
  if (!s.names && s.ids === 1) return sql`${lock(sql`${sql.placeholder("id0")}::uuid`)} for update`;
  if (!s.names && !s.ids) return sql`select 1 where false`;
  // A batch's users (an array: the statement is planned for its values) are locked in user order as the planner reads them.
  if (s.ids === "array" || s.names === "array") {
    const users = s.names ? sql`in (${whoOf(s, sql`u.id`)})` : sql`= any(${sql.placeholder("id")}::uuid[])`;
    return sql`select 1 from subscriptions s where s.account_id = ${accountOf(s)} and s.profile_id = ${profileOf(s)} and s.user_id ${users} order by s.user_id for update`;
  }
  const users = s.names ? sql`select t.id from (${whoOf(s, sql`u.id`)}) as t order by 1` : sql`select q.v as id from ${listRows("id", s.ids as number, "uuid")} order by 1`;
  return sql`select 1 from (${users}) as o cross join lateral (${lock(sql`o.id`)} for update) as l`;
}

const openProfileMonthsStatement = sql`insert into profile_months (account_id, profile_id, period)
  select ${sql.placeholder("account")}::uuid, ${sql.placeholder("profile")}::uuid, p from unnest(${sql.placeholder("periods")}::text[]) as p
  where exists (select 1 from profiles pr where pr.account_id = ${sql.placeholder("account")}::uuid and pr.id = ${sql.placeholder("profile")}::uuid and pr.budget_cents is not null)
  on conflict do nothing`;

const lockProfileMonthsStatement = (s: Shape) =>
  sql`select 1 from profile_months pm where pm.account_id = ${accountOf(s)} and pm.profile_id = ${profileOf(s)} and ${inList(sql`pm.period`, "period", s.periods, "text")}
    order by pm.period for update`;

function readStatement(s: Shape): SQL {
  const account = accountOf(s);
  const profile = profileOf(s);
  return sql`with ${s.presented ? sql`k as (select ${storedKeyColumns} from api_keys k where k.lookup = ${sql.placeholder("lookup")}::text and k.revoked_at is null),` : sql``}
      who as (${whoOf(s, sql`u.account_id, u.id, u.user_name, u.deleted_at`)}),
      pr as (select p.overages_enabled, p.default_cap_cc, p.budget_cents, p.first_month, p.closed_through from profiles p where p.account_id = ${account} and p.id = ${profile})
      select
        ${s.presented ? sql`(select row_to_json(k) from k)` : sql`null::json`} as key,
        (select row_to_json(pr) from pr) as settings,
        (select coalesce(json_agg(json_build_object(
            'id', u.id, 'user_name', u.user_name, 'deleted', u.deleted_at is not null, 'tier', s.tier, 'status', s.status, 'scheduled_tier', s.scheduled_tier, 'scheduled_at', s.scheduled_at,
            'access_ends_at', s.access_ends_at, 'activated_at', s.activated_at, 'last_active_at', s.last_active_at,
            'user_cap_set', uo.id is not null, 'user_cap_cc', uo.cap_cc,
            'group_caps', (select array_agg(co.cap_cc) from cap_overrides co join group_members gm on gm.account_id = co.account_id and gm.group_id = co.group_id
              where co.account_id = ${account} and co.profile_id = ${profile} and gm.account_id = ${account} and gm.user_id = u.id),
            'overage_switch', sw.value)), '[]'::json)
          from who u
          left join lateral (select s.* from subscriptions s where s.account_id = ${account} and s.profile_id = ${profile} and s.user_id = u.id${perUser(s)}) as s on true
          left join lateral (select uo.id, uo.cap_cc from cap_overrides uo where uo.account_id = ${account} and uo.profile_id = ${profile} and uo.user_id = u.id${perUser(s)}) as uo on true
          left join lateral (select sw.value from overage_switches sw where sw.account_id = ${account} and sw.profile_id = ${profile} and sw.user_id = u.id${perUser(s)}) as sw on true) as users,
        ${
          s.periods === 0
            ? sql`'[]'::json`
            : sql`(select coalesce(json_agg(json_build_object(
            'user_id', m.user_id, 'period', m.period, 'fee_tier', m.fee_tier, 'active_at_start', m.active_at_start, 'first_activated_at', m.first_activated_at, 'first_month_prorated', m.first_month_prorated,
            'included_cc', m.included_cc, 'overage_cc', m.overage_cc, 'unbilled_cc', m.unbilled_cc)), '[]'::json)
          from who u cross join lateral (${eachOf("period", s.periods, "text", (v) => sql`select m.* from subscription_months m where m.account_id = ${account} and m.profile_id = ${profile} and m.period = ${v} and m.user_id = u.id`)}${perUser(s)}) as m)`
        } as ledgers,
        ${
          s.keys === 0
            ? sql`'[]'::json`
            : sql`(select coalesce(json_agg(json_build_object(
            'key', e.idempotency_key, 'user_id', e.user_id, 'credits_cc', e.credits_cc, 'client', e.client, 'occurred_at', e.occurred_at, 'result', e.result)), '[]'::json)
          from (${eachOf("key", s.keys, "text", (v) => sql`select e.* from usage_keys e where e.account_id = ${account} and e.profile_id = ${profile} and e.idempotency_key = ${v}`)}) as e)`
        } as stored,
        ${
          s.periods === 0
            ? sql`'[]'::json`
            : sql`(select coalesce(json_agg(json_build_object('period', pm.period, 'overage_cc', pm.overage_cc)), '[]'::json)
          from profile_months pm where (select pr.budget_cents from pr) is not null and pm.account_id = ${account} and pm.profile_id = ${profile} and ${inList(sql`pm.period`, "period", s.periods, "text")})`
        } as profile,
        ${
          s.confirm === 0
            ? sql`null::int`
            : sql`(select count(*)::int from api_keys k where k.account_id = ${account} and k.profile_id = ${profile} and k.revoked_at is null and ${inList(sql`k.lookup`, "confirm", s.confirm, "text")})`
        } as keys_confirmed`;
}

/**
 * Reads everything a check or a record needs in one statement (deleted users are unknown: DESIGN.md §2
 * edge case 9): the profile's settings and how far it is closed, the users these references name with
 * their subscription in the profile and what their cap resolves from, their ledgers of `periods`, the
 * events stored under `keys` (their bodies and first answers, from usage_keys: one index probe per key, whatever
 * month the event is in), and (when the profile has a budget) its overage in `periods`.
 *
 * The locks of `locks` are sent first, each a statement of its own, pipelined with the read (one round
 * trip): PostgreSQL runs them in order, and the read, a statement of its own, sees what a previous holder
 * of the locks committed. Whether the profile has a budget is known only from the read, so `locks.budget`
 * is the caller's guess; `lockedPeriods` says what it got (see record.ts).
 */
export async function load(db: Executor, scope: KeyScope, refs: UserRef[], periods: string[], keys: string[], locks: Locks): Promise<Loaded>;
/**
 * A read-only load given the presented key instead of its scope (usage.check): the key's row is read in
 * the same statement (one round trip less) and its secret verified before anything read is used; null
 * for an unknown, revoked or wrong key. Every other part of the statement is scoped by the key's row.
 */
export async function load(db: Executor, key: PresentedKey, refs: UserRef[], periods: string[], keys: string[], locks: typeof noLocks, now: Date): Promise<Loaded | null>;
export async function load(db: Executor, scope: KeyScope | PresentedKey, refs: UserRef[], periods: string[], keys: string[], locks: Locks, now?: Date): Promise<Loaded | null> {
  const ids = [...new Set(refs.flatMap((r) => ("userId" in r ? [r.userId] : [])))];
  const names = [...new Set(refs.flatMap((r) => ("userName" in r ? [foldName(r.userName)] : [])))];
  const presented = "lookup" in scope ? scope : null;
  const given = "lookup" in scope ? null : scope;
  const confirm = [...new Set(given?.confirm ?? [])];
  if (presented && (locks.close || locks.subscriptions || locks.budget)) throw new Error("load: locks are taken only with a verified key's scope");
  const shape: Shape = { presented: presented !== null, ids: listShape(ids), names: listShape(names), periods: listShape(periods), keys: listShape(keys), confirm: listShape(confirm) };
  const key = `${shape.presented}/${shape.ids}/${shape.names}/${shape.periods}/${shape.keys}/${shape.confirm}`;
  const values: Record<string, unknown> = given ? { account: given.accountId, profile: given.profileId } : { lookup: presented!.lookup };
  listValues(values, "id", ids, "uuid");
  listValues(values, "name", names, "text");
  listValues(values, "period", periods, "text");
  listValues(values, "key", keys, "text");
  listValues(values, "confirm", confirm, "text");
  const statements: Promise<unknown[]>[] = [];
  if (locks.close) {
    statements.push(runPrepared(db, "usage_close_lock", bind(shapes.get("close", () => closeLockStatement), values)));
  }
  if (locks.subscriptions) {
    statements.push(runPrepared(db, "usage_lock_subscriptions", bind(shapes.get(`lock/${key}`, () => lockSubscriptionsStatement(shape)), values)));
  }
  let budgetLock: Promise<unknown[]> | null = null;
  if (locks.budget && periods.length > 0) {
    values.periods = textArrayLiteral(periods);
    // A month row to lock, for a profile with a budget only (a profile without one keeps none).
    statements.push(runPrepared(db, "usage_open_profile_months", bind(shapes.get("budget", () => openProfileMonthsStatement), values)));
    budgetLock = runPrepared(db, "usage_lock_profile_months", bind(shapes.get(`budget/${key}`, () => lockProfileMonthsStatement(shape)), values));
    statements.push(budgetLock);
  }
  const read = runPrepared<{
    key: StoredKey | null;
    settings: SettingsRow | null;
    users: UserRow[];
    ledgers: LedgerRow[];
    stored: StoredRow[];
    profile: { period: string; overage_cc: number | string }[];
    keys_confirmed: number | null;
  }>(db, presented ? "usage_load_by_key" : "usage_load", bind(shapes.get(`read/${key}`, () => readStatement(shape)), values));
  statements.push(read);
  // In order: a failed lock fails the statements after it, and its own error is the one to report.
  for (const settled of await Promise.allSettled(statements)) if (settled.status === "rejected") throw settled.reason;
  const [row] = await read;
  // Keys this process verified a moment ago (auth/api-keys.ts verifyApiKeyForWrite), confirmed before anything read is used.
  if (confirm.length > 0 && row!.keys_confirmed !== confirm.length) throw new KeyNoLongerValid();
  const opened = given ?? (await openKey(db, presented!, row!.key, now!));
  if (!opened) return null;
  const settings = row!.settings;
  // The key that opened this profile was just verified; a profile is never deleted while it has keys.
  if (!settings) throw new DomainError("NOT_FOUND", "the profile of this API key no longer exists");
  const limits: ProfileLimits = {
    overagesEnabled: settings.overages_enabled,
    defaultCapCc: settings.default_cap_cc === null ? null : Number(settings.default_cap_cc),
    budgetCents: settings.budget_cents === null ? null : Number(settings.budget_cents),
    firstMonth: settings.first_month,
    closedThrough: settings.closed_through,
  };
  const cap = (v: string | number | null): Cap => (v === null ? "unlimited" : Number(v));
  const users = new Map<string, UserState>();
  for (const r of row!.users) {
    const state: UserState = {
      userId: r.id,
      userName: r.user_name,
      deleted: r.deleted,
      subscription: subscriptionOf(r),
      limits: {
        userCap: resolveUserCap({
          userOverride: r.user_cap_set ? cap(r.user_cap_cc) : null,
          groupOverrides: (r.group_caps ?? []).map(cap),
          profileDefault: limits.defaultCapCc,
        }),
        overageSwitch: r.overage_switch ?? "inherit",
      },
    };
    users.set(r.id, state);
    // A user name freed by a deletion may belong to a new person now: the living one answers to it.
    const byName = `name:${foldName(r.user_name)}`;
    const named = users.get(byName);
    if (!named || (named.deleted && !r.deleted)) users.set(byName, state);
  }
  const ledgers = new Map<string, MonthLedger>();
  for (const m of row!.ledgers) {
    ledgers.set(ledgerKey(m.period, m.user_id), ledgerOf(m));
  }
  const stored = new Map(
    row!.stored.map((e) => [e.key, { userId: e.user_id, creditsCc: Number(e.credits_cc), client: e.client, occurredAt: new Date(e.occurred_at), result: e.result }]),
  );
  return {
    scope: opened,
    profile: limits,
    users,
    ledgers,
    stored,
    profileOverage: new Map(row!.profile.map((p) => [p.period, Number(p.overage_cc)])),
    lockedPeriods: budgetLock ? (await budgetLock).length : 0,
  };
}

/**
 * The user a reference names, or UNKNOWN_USER naming the field (`events.3.userId` in a batch). A person the
 * identity provider deleted is unknown (edge case 9), except to the retry of an event accepted before (edge case 14).
 */
export function findUser(users: Map<string, UserState>, ref: UserRef, at: number | null, retry = false): UserState {
  const found = "userId" in ref ? users.get(ref.userId) : users.get(`name:${foldName(ref.userName)}`);
  if (!found || (found.deleted && !retry)) {
    const name = field(at, "userId" in ref ? "userId" : "userName");
    throw new DomainError("UNKNOWN_USER", `${name}: no such user in this account`, name);
  }
  return found;
}

/** The limits an event of this user meets, from the profile's settings as the transaction read them. */
export function limitsFor(profile: ProfileLimits, catalog: Catalog, user: UserState, profileOverageCc: number): OverageLimits {
  return {
    allowed: overageAllowed(profile.overagesEnabled, user.limits.overageSwitch),
    userCap: user.limits.userCap,
    budgetCents: profile.budgetCents,
    profileOverageCc,
    overageCentsPerCredit: catalog.overageCentsPerCredit,
  };
}
