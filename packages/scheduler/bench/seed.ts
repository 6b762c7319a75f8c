/**
 * The month-close benchmarks' data (bench/close.ts here, apps/server/bench/cell.ts), in SQL: profiles of
 * 100 subscriptions each, 70% Active, 20% Pending, 10% Canceled with access to the month's end, 5% of the
 * Active ones with a downgrade scheduled for the 1st, half the Active ones with a ledger of the month.
 */
import type postgres from "postgres";
import { defaultCatalog, getTier } from "@seatdesk/domain";

export const tierCase = (column: string, field: "priceCents" | "allowanceCenticredits") =>
  `case ${column} ${defaultCatalog.tiers.map((t) => `when '${t.id}' then ${getTier(defaultCatalog, t.id)[field]}`).join(" ")} end`;

/** What to seed: `profiles` profiles (one account each) of `perProfile` subscriptions, with `period` (starting at `periodStart`, ending at `nextStart`) to close. */
export interface CloseSeed {
  profiles: number;
  perProfile: number;
  period: string;
  periodStart: string;
  nextStart: string;
}

export async function seedClose(raw: postgres.Sql, { profiles: profileCount, perProfile, period, periodStart, nextStart }: CloseSeed) {
  await raw.unsafe(`
    insert into accounts (id, name) select gen_random_uuid(), 'Bench ' || p from generate_series(1, ${profileCount}) p;
    insert into profiles (account_id, region, name, overages_enabled, created_at)
      select id, 'us-east-1', 'Main', true, '${periodStart}'::timestamptz from accounts;
    insert into directory_users (account_id, user_name, display_name, email)
      select p.account_id, 'u' || i || '@' || p.id || '.example', 'User ' || lpad(i::text, 4, '0'), 'u' || i || '@bench.example'
      from profiles p, generate_series(1, ${perProfile}) i;
    insert into subscriptions (account_id, profile_id, user_id, tier, status, scheduled_tier, scheduled_at, access_ends_at, activated_at, last_active_at, created_at, updated_at)
      select u.account_id, p.id, u.id, k.tier::tier, k.status::subscription_status,
        case when k.status = 'active' and k.tier <> 'pro' and k.h % 20 = 0 then 'pro'::tier end,
        case when k.status = 'active' and k.tier <> 'pro' and k.h % 20 = 0 then '${nextStart}'::timestamptz end,
        case when k.status = 'canceled' then '${nextStart}'::timestamptz end,
        case when k.status <> 'pending' then '2026-08-15'::timestamptz end,
        case when k.status <> 'pending' then '2026-10-20'::timestamptz end,
        '2026-08-01'::timestamptz, '2026-10-20'::timestamptz
      from directory_users u join profiles p on p.account_id = u.account_id,
        lateral (select hashtext(u.id::text) & 2147483647 as h) as x,
        lateral (select x.h,
          case when x.h % 10 < 6 then 'pro' when x.h % 10 < 9 then 'pro_plus' else 'power' end as tier,
          case when x.h % 100 < 70 then 'active' when x.h % 100 < 90 then 'pending' else 'canceled' end as status) as k;
    insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, included_cc, overage_cc)
      select account_id, profile_id, '${period}', user_id, tier, true,
        least(${tierCase("tier::text", "allowanceCenticredits")}, (hashtext(user_id::text || 'u') & 2147483647) % 120000),
        greatest(0, (hashtext(user_id::text || 'u') & 2147483647) % 120000 - ${tierCase("tier::text", "allowanceCenticredits")})
      from subscriptions where status <> 'pending' and (hashtext(user_id::text) & 2147483647) % 2 = 0;
    analyze;`);
}
