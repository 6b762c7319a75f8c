import { sql, type Query } from "drizzle-orm";
import type { NoticeKind, Subscription, TierId } from "@seatdesk/domain";
import { bind, shapeOf } from "@seatdesk/db";
import type { KeyScope } from "../../auth/api-keys";
import { textArrayLiteral } from "./load";
import type { EventResult } from "./types";

export interface EventRow {
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
export interface LedgerWrite {
  period: string;
  user_id: string;
  fee_tier: TierId | null;
  active_at_start: boolean;
  first_activated_at: string | null;
  first_month_prorated: boolean;
  included_cc: number;
  overage_cc: number;
  unbilled_cc: number;
}
export interface NoticeWrite {
  user_id: string;
  period: string;
  kind: NoticeKind;
  created_at: string;
}
export interface SubscriptionWrite {
  user_id: string;
  status: Subscription["status"];
  activated_at: string | null;
  last_active_at: string | null;
}

/**
 * Every write of a record in one statement: the idempotency keys with their first answers (usage_keys), the
 * events (each only with its key: the events' month partitions cannot hold a unique key of their own), the
 * ledgers they moved, the profile's overage, the subscriptions (activation, "last active") and the notices.
 * Counts the keys inserted: fewer than sent means another request stored one of these keys since the read,
 * whatever month its event is in, and the statement raises (migration 0021): nothing of it is kept, and
 * record.ts runs the call again.
 */
export function writeMany(
  scope: KeyScope,
  now: Date,
  events: EventRow[],
  ledgers: LedgerWrite[],
  overage: { period: string; added: number }[],
  subs: SubscriptionWrite[],
  noticeRows: NoticeWrite[],
): Query {
  return bind(writeManyShape, {
    account: scope.accountId,
    profile: scope.profileId,
    recordedAt: now.toISOString(),
    events: JSON.stringify(events),
    ledgers: JSON.stringify(ledgers),
    overage: JSON.stringify(overage),
    subs: JSON.stringify(subs),
    subIds: `{${subs.map((r) => r.user_id).join(",")}}`,
    notices: JSON.stringify(noticeRows),
    sent: events.length,
  });
}

const p = (name: string) => sql.placeholder(name);
const account = sql`${p("account")}::uuid`;
const profile = sql`${p("profile")}::uuid`;
const recordedAt = sql`${p("recordedAt")}::timestamptz`;

const ledgerConflict = sql`on conflict (account_id, profile_id, period, user_id) do update set fee_tier = excluded.fee_tier, active_at_start = excluded.active_at_start,
          first_activated_at = excluded.first_activated_at, first_month_prorated = excluded.first_month_prorated, included_cc = excluded.included_cc, overage_cc = excluded.overage_cc,
          unbilled_cc = excluded.unbilled_cc, updated_at = excluded.updated_at`;
const profileMonthConflict = sql`on conflict (account_id, profile_id, period) do update set overage_cc = profile_months.overage_cc + excluded.overage_cc`;

/** writeMany's statement: its text is the same for any number of rows (they travel as JSON), so it is rendered once. */
const writeManyShape = shapeOf(sql`with
      sent as (select * from json_to_recordset(${p("events")}::json) as v(period text, user_id uuid, idempotency_key text, client text, credits_cc bigint,
          included_cc bigint, overage_cc bigint, unbilled_cc bigint, occurred_at timestamptz, recorded_at timestamptz, result jsonb)),
      ks as (
        insert into usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result)
        select ${account}, ${profile}, v.idempotency_key, v.user_id, v.client, v.credits_cc, v.occurred_at, v.result from sent v
        on conflict do nothing
        returning idempotency_key),
      ev as (
        insert into usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at)
        select ${account}, ${profile}, v.period, v.user_id, v.idempotency_key, v.client, v.credits_cc, v.included_cc, v.overage_cc, v.unbilled_cc, v.occurred_at, v.recorded_at
        from sent v join ks on ks.idempotency_key = v.idempotency_key),
      led as (
        insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, first_activated_at, first_month_prorated, included_cc, overage_cc, unbilled_cc, updated_at)
        select ${account}, ${profile}, v.period, v.user_id, v.fee_tier::tier, v.active_at_start, v.first_activated_at, v.first_month_prorated, v.included_cc, v.overage_cc, v.unbilled_cc, ${recordedAt}
        from json_to_recordset(${p("ledgers")}::json) as v(period text, user_id uuid, fee_tier text, active_at_start boolean, first_activated_at timestamptz, first_month_prorated boolean,
          included_cc bigint, overage_cc bigint, unbilled_cc bigint)
        ${ledgerConflict}),
      pm as (
        insert into profile_months (account_id, profile_id, period, overage_cc)
        select ${account}, ${profile}, v.period, v.added from json_to_recordset(${p("overage")}::json) as v(period text, added bigint)
        ${profileMonthConflict}),
      sub as (
        update subscriptions s set status = v.status::subscription_status, activated_at = v.activated_at, last_active_at = v.last_active_at, updated_at = ${recordedAt}
        from json_to_recordset(${p("subs")}::json) as v(user_id uuid, status text, activated_at timestamptz, last_active_at timestamptz)
        where s.account_id = ${account} and s.profile_id = ${profile} and s.user_id = any(${p("subIds")}::uuid[]) and s.user_id = v.user_id),
      nt as (
        insert into notices (account_id, profile_id, user_id, period, kind, created_at)
        select ${account}, ${profile}, v.user_id, v.period, v.kind, v.created_at
        from json_to_recordset(${p("notices")}::json) as v(user_id uuid, period text, kind text, created_at timestamptz)
        on conflict do nothing)
      select seatdesk_keys_inserted((select count(*) from ks), ${p("sent")}::int) as inserted`);

/** writeMany for the hot path, one event of one user: the same writes with scalar parameters only, so the statement keeps one generic plan. */
export function writeOne(scope: KeyScope, e: EventRow, l: LedgerWrite, overageAdded: number, sub: SubscriptionWrite, kinds: NoticeKind[]): Query {
  return bind(writeOneShape, {
    account: scope.accountId,
    profile: scope.profileId,
    recordedAt: e.recorded_at,
    user: e.user_id,
    period: e.period,
    key: e.idempotency_key,
    client: e.client,
    creditsCc: e.credits_cc,
    occurredAt: e.occurred_at,
    result: JSON.stringify(e.result),
    includedCc: e.included_cc,
    overageCc: e.overage_cc,
    unbilledCc: e.unbilled_cc,
    feeTier: l.fee_tier,
    activeAtStart: l.active_at_start,
    firstActivatedAt: l.first_activated_at,
    firstMonthProrated: l.first_month_prorated,
    ledgerIncludedCc: l.included_cc,
    ledgerOverageCc: l.overage_cc,
    ledgerUnbilledCc: l.unbilled_cc,
    overageAdded,
    status: sub.status,
    activatedAt: sub.activated_at,
    lastActiveAt: sub.last_active_at,
    kinds: textArrayLiteral(kinds),
  });
}

const user = sql`${p("user")}::uuid`;
const period = sql`${p("period")}::text`;
const key = sql`${p("key")}::text`;
const client = sql`${p("client")}::text`;
const creditsCc = sql`${p("creditsCc")}::bigint`;
const occurredAt = sql`${p("occurredAt")}::timestamptz`;

const writeOneShape = shapeOf(sql`with
      ks as (
        insert into usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result)
        values (${account}, ${profile}, ${key}, ${user}, ${client}, ${creditsCc}, ${occurredAt}, ${p("result")}::jsonb)
        on conflict do nothing
        returning 1),
      ev as (
        insert into usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at)
        select ${account}, ${profile}, ${period}, ${user}, ${key}, ${client}, ${creditsCc}, ${p("includedCc")}::bigint, ${p("overageCc")}::bigint,
          ${p("unbilledCc")}::bigint, ${occurredAt}, ${recordedAt} from ks),
      led as (
        insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, first_activated_at, first_month_prorated, included_cc, overage_cc, unbilled_cc, updated_at)
        values (${account}, ${profile}, ${period}, ${user}, ${p("feeTier")}::tier, ${p("activeAtStart")}::boolean, ${p("firstActivatedAt")}::timestamptz, ${p("firstMonthProrated")}::boolean,
          ${p("ledgerIncludedCc")}::bigint, ${p("ledgerOverageCc")}::bigint, ${p("ledgerUnbilledCc")}::bigint, ${recordedAt})
        ${ledgerConflict}),
      pm as (
        insert into profile_months (account_id, profile_id, period, overage_cc)
        select ${account}, ${profile}, ${period}, a.added from (select ${p("overageAdded")}::bigint as added) as a where a.added > 0
        ${profileMonthConflict}),
      sub as (
        update subscriptions set status = ${p("status")}::subscription_status, activated_at = ${p("activatedAt")}::timestamptz, last_active_at = ${p("lastActiveAt")}::timestamptz,
          updated_at = ${recordedAt}
        where account_id = ${account} and profile_id = ${profile} and user_id = ${user}),
      nt as (
        insert into notices (account_id, profile_id, user_id, period, kind, created_at)
        select ${account}, ${profile}, ${user}, ${period}, k, ${recordedAt} from unnest(${p("kinds")}::text[]) as k
        on conflict do nothing)
      select seatdesk_keys_inserted((select count(*) from ks), 1) as inserted`);
