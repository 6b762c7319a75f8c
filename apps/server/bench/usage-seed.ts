/**
 * The usage benchmarks' tenant (bench/usage.ts, bench/cell.ts): one account, a profile with overages on,
 * `users` Pro users already Active with this month's ledgers, and a profile API key; all in SQL.
 */
import { sql } from "drizzle-orm";
import { periodOf } from "@seatdesk/domain";
import { accounts, profiles, type Database } from "@seatdesk/db";
import { generateApiKey } from "../src/auth/api-keys";
import { systemClock } from "../src/clock";

/** Deterministic ids, so pgbench can name a random user by its number. */
export const userId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
export const userIdSql = (n: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${n}::int), 12, '0'))::uuid`;

export interface Seeded {
  accountId: string;
  profileId: string;
  period: string;
  key: string;
  userIds: string[];
}

/** One account, a profile with overages on, `users` Pro users already Active with this month's ledgers, and an API key. */
export async function seedUsage(database: Database, users: number): Promise<Seeded> {
  const db = database.db;
  const now = systemClock.now();
  const period = periodOf(now);
  const [account] = await db.insert(accounts).values({ name: "Bench Corp" }).returning();
  const accountId = account!.id;
  const [profile] = await db.insert(profiles).values({ accountId, region: "us-east-1", name: "Main", overagesEnabled: true }).returning();
  const profileId = profile!.id;
  const monthStart = period.start.toISOString();
  await db.execute(sql`
    insert into directory_users (account_id, id, user_name, display_name, email)
    select ${accountId}::uuid, ${sql.raw(userIdSql("i"))}, 'user' || i || '@bench.example', 'Bench User ' || i, 'user' || i || '@bench.example'
    from generate_series(1, ${users}::int) as i`);
  await db.execute(sql`
    insert into assignments (account_id, profile_id, user_id, tier)
    select account_id, ${profileId}::uuid, id, 'pro' from directory_users where account_id = ${accountId}::uuid`);
  await db.execute(sql`
    insert into subscriptions (account_id, profile_id, user_id, tier, status, activated_at, last_active_at, created_at, updated_at)
    select account_id, ${profileId}::uuid, id, 'pro', 'active', ${monthStart}::timestamptz - interval '40 days',
      ${now.toISOString()}::timestamptz - interval '1 hour', ${monthStart}::timestamptz - interval '60 days', ${now.toISOString()}::timestamptz
    from directory_users where account_id = ${accountId}::uuid`);
  // Most users part-way through the allowance (Pro: 1,000 credits), one in ten already in overage.
  await db.execute(sql`
    insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, included_cc, overage_cc)
    select account_id, ${profileId}::uuid, ${period.id}, id, 'pro', true,
      case when h % 10 = 0 then 100000 else h % 75000 end, case when h % 10 = 0 then h % 20000 else 0 end
    from (select account_id, id, hashtext(id::text) & 2147483647 as h from directory_users where account_id = ${accountId}::uuid) as u`);
  await db.execute(sql`
    insert into profile_months (account_id, profile_id, period, overage_cc)
    select ${accountId}::uuid, ${profileId}::uuid, ${period.id}, coalesce(sum(overage_cc), 0) from subscription_months
    where account_id = ${accountId}::uuid and profile_id = ${profileId}::uuid and period = ${period.id}`);
  const { key, lookup, secretHash } = generateApiKey();
  await db.execute(sql`
    insert into api_keys (account_id, profile_id, name, lookup, secret_hash, created_by)
    values (${accountId}::uuid, ${profileId}::uuid, 'bench', ${lookup}, ${secretHash}, 'bench@bench.example')`);
  await db.execute(sql`analyze`);
  return { accountId, profileId, period: period.id, key, userIds: Array.from({ length: users }, (_, i) => userId(i + 1)) };
}

/** The ceiling: pgbench running the same debit (one UPDATE of the counters, one INSERT of the event) as one transaction. */
