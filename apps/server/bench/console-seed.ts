/**
 * The console benchmarks' tenant (bench/console.ts, bench/cell.ts): one account, a profile, an owner,
 * `users` directory users with names from the lists below, about 30% subscribed, this month's ledgers and
 * forecasts; all in SQL.
 */
import { sql } from "drizzle-orm";
import type postgres from "postgres";
import { accounts, consoleAdmins, profiles, type Database } from "@seatdesk/db";
import { hashPassword } from "../src/auth/password";
import { systemClock } from "../src/clock";
import { encodeCursor } from "../src/services/cursor";

const firstNames = [
  "Aaliyah", "Aarav", "Abigail", "Adrian", "Aisha", "Akira", "Alejandro", "Alexander", "Alice", "Amara", "Amelia", "Ana", "Andrei", "Anna", "Arjun", "Ava",
  "Beatriz", "Benjamin", "Bilal", "Camila", "Carlos", "Charlotte", "Chen", "Chloe", "Daniel", "David", "Diego", "Dmitri", "Elena", "Elijah", "Emily", "Emma",
  "Ethan", "Fatima", "Felix", "Fernando", "Freya", "Gabriel", "Grace", "Hana", "Hannah", "Hiroshi", "Hugo", "Ibrahim", "Ines", "Isabella", "Ivan", "Jack",
  "James", "Javier", "Ji-woo", "Johan", "Jonas", "Jose", "Julia", "Kai", "Kavya", "Kenji", "Laila", "Lars", "Layla", "Leon", "Liam", "Lina", "Lucas",
  "Lucia", "Luis", "Maria", "Mateo", "Maya", "Mei", "Mia", "Mohammed", "Nadia", "Naomi", "Nikolai", "Noah", "Nora", "Oliver", "Olivia", "Omar", "Oscar",
  "Priya", "Rafael", "Rahul", "Ravi", "Rosa", "Ryan", "Sakura", "Samuel", "Santiago", "Sara", "Sebastian", "Sofia", "Sophie", "Tariq", "Thomas", "Valentina",
  "Victor", "Wei", "William", "Yara", "Yusuf", "Zara", "Zoe",
];
const lastNames = [
  "Abe", "Adeyemi", "Ahmed", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brown", "Castillo", "Chen", "Costa", "Cruz", "Davies", "Dubois", "Eriksson",
  "Fernandes", "Fischer", "Garcia", "Gomez", "Gonzalez", "Gupta", "Hansen", "Hernandez", "Hoffmann", "Huang", "Ibrahim", "Ivanov", "Jensen", "Johansson",
  "Johnson", "Kaur", "Khan", "Kim", "Kowalski", "Kumar", "Larsen", "Laurent", "Lee", "Lopez", "Martin", "Martinez", "Meyer", "Moreau", "Muller", "Murphy",
  "Nakamura", "Nguyen", "Nielsen", "Novak", "Okafor", "Olsen", "Ortiz", "Patel", "Perez", "Petrov", "Popescu", "Ramirez", "Reddy", "Ricci", "Rodriguez",
  "Romano", "Rossi", "Sanchez", "Santos", "Sato", "Schmidt", "Schneider", "Sharma", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thomas",
  "Torres", "Tran", "Wagner", "Walker", "Wang", "Weber", "Williams", "Wilson", "Wong", "Yamamoto", "Yilmaz", "Zhang", "Zimmermann",
];

/** A few fragments of names as a person types them: 3 to 5 letters from inside a first or last name. */
export function nameFragments(count: number): string[] {
  const names = [...firstNames, ...lastNames];
  return Array.from({ length: count }, () => {
    const name = names[Math.floor(Math.random() * names.length)]!.toLowerCase();
    const length = Math.min(name.length, 3 + Math.floor(Math.random() * 3));
    const start = Math.floor(Math.random() * (name.length - length + 1));
    return name.slice(start, start + length);
  });
}

/** One account, a profile, an owner, `users` directory users, about 30% subscribed; all in SQL. */
export async function seedConsole(database: Database, raw: postgres.Sql, password: string, users: number) {
  const db = database.db;
  const now = systemClock.now();
  const [account] = await db.insert(accounts).values({ name: "Bench Corp" }).returning();
  const accountId = account!.id;
  const [profile] = await db.insert(profiles).values({ accountId, region: "us-east-1", name: "Main" }).returning();
  const profileId = profile!.id;
  const email = "bench-owner@bench.example";
  await db.insert(consoleAdmins).values({ accountId, email, name: "Bench Owner", role: "owner", passwordHash: await hashPassword(password) });

  const firsts = sql.raw(`array[${firstNames.map((n) => `'${n}'`).join(",")}]`);
  const lasts = sql.raw(`array[${lastNames.map((n) => `'${n}'`).join(",")}]`);
  // hashint4 spreads names (and who is subscribed) deterministically, so every run seeds the same directory.
  await db.execute(sql`
    insert into directory_users (account_id, user_name, display_name, email, active)
    select ${accountId}::uuid, e, f || ' ' || l, e, (hashint4(i + 17) & 2147483647) % 100 <> 0
    from generate_series(1, ${users}::int) as i,
      lateral (select (${firsts})[1 + (hashint4(i) & 2147483647) % ${firstNames.length}] as f, (${lasts})[1 + (hashint4(i + 1000003) & 2147483647) % ${lastNames.length}] as l) as n,
      lateral (select lower(replace(f, '-', '') || '.' || l || '.' || i) || '@bench.example' as e) as m`);

  // About 30% subscribed: 60% Pro, 30% Pro+, 10% Power; 70% Active, 20% Pending, 10% Canceled this month;
  // the Active and Canceled ones last active over the last 60 days (so "idle 30 days" finds about half);
  // a few Active ones with a downgrade scheduled for the 1st. Canceled ones have lost their assignment.
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const period = monthStart.toISOString().slice(0, 7);
  await db.execute(sql`
    insert into subscriptions (account_id, profile_id, user_id, tier, status, scheduled_tier, scheduled_at, access_ends_at, activated_at, last_active_at, created_at, updated_at)
    select account_id, ${profileId}::uuid, id, tier::tier, status::subscription_status,
      case when status = 'active' and tier <> 'pro' and s % 20 = 0 then 'pro'::tier end,
      case when status = 'active' and tier <> 'pro' and s % 20 = 0 then ${nextMonth.toISOString()}::timestamptz end,
      case when status = 'canceled' then ${nextMonth.toISOString()}::timestamptz end,
      case when status <> 'pending' then ${monthStart.toISOString()}::timestamptz - make_interval(days => s % 200) end,
      case when status <> 'pending' then ${now.toISOString()}::timestamptz - make_interval(mins => s % (60 * 24 * 60)) end,
      ${monthStart.toISOString()}::timestamptz - interval '200 days', ${now.toISOString()}::timestamptz
    from (
      select account_id, id, s,
        case when s % 10 < 6 then 'pro' when s % 10 < 9 then 'pro_plus' else 'power' end as tier,
        case when s % 100 < 70 then 'active' when s % 100 < 90 then 'pending' else 'canceled' end as status
      from (select account_id, id, hashtext(id::text) & 2147483647 as s from directory_users where account_id = ${accountId}::uuid and active) as u
      where s % 1000 < 300
    ) as picked`);
  await db.execute(sql`
    insert into assignments (account_id, profile_id, user_id, tier)
    select account_id, profile_id, user_id, coalesce(scheduled_tier, tier) from subscriptions
    where account_id = ${accountId}::uuid and profile_id = ${profileId}::uuid and status <> 'canceled'`);
  await db.execute(sql`
    insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, first_activated_at, included_cc)
    select account_id, profile_id, ${period}, user_id, tier, true, null,
      ((hashtext(user_id::text || 'usage') & 2147483647) % case tier when 'pro' then 100000 when 'pro_plus' then 200000 else 1000000 end)
    from subscriptions where account_id = ${accountId}::uuid and profile_id = ${profileId}::uuid and status <> 'pending'`);
  // This month's forecasts, as the daily job writes them (set-based here: a bench is not a test): every current
  // seat a burn rate; about a third of the used ones run out this month (blocked that day: overage is off).
  const daysLeft = Math.max(1, Math.round((nextMonth.getTime() - now.getTime()) / 86_400_000));
  await db.execute(sql`
    insert into seat_forecasts (account_id, profile_id, user_id, period, computed_at, burn_cc_per_day, allowance_runs_out_on, access_stops_on, stop_reason)
    select account_id, profile_id, user_id, ${period}, ${now.toISOString()}::timestamptz, h % 5000,
      case when status <> 'pending' and h % 3 = 0 then ${now.toISOString()}::date + (h % ${daysLeft}) end,
      case when status <> 'pending' and h % 3 = 0 then ${now.toISOString()}::date + (h % ${daysLeft}) end,
      case when status <> 'pending' and h % 3 = 0 then 'allowance' end
    from (select account_id, profile_id, user_id, status, hashtext(user_id::text || 'forecast') & 2147483647 as h from subscriptions
      where account_id = ${accountId}::uuid and profile_id = ${profileId}::uuid) as s`);
  await db.execute(sql`analyze`);

  const [counts] = await raw<{ users: number; subscribed: number; active: number }[]>`
    select (select count(*)::int from directory_users where account_id = ${accountId}) as users,
      count(*)::int as subscribed, count(*) filter (where status = 'active')::int as active
    from subscriptions where account_id = ${accountId}`;
  // Deep pages start at users spread over the whole list (cursors as the server hands them out).
  const starts = await raw<{ display_name: string; id: string }[]>`
    select display_name, id::text as id from directory_users where account_id = ${accountId}
    order by display_name, id offset ${Math.floor(users / 2) - 1} limit 1`;
  const spread = await raw<{ display_name: string; id: string }[]>`
    select display_name, id::text as id from directory_users tablesample system (1) where account_id = ${accountId} limit 64`;
  const deepCursors = [...starts, ...spread].map((r) => encodeCursor(r.display_name, r.id));
  return { accountId, profileId, email, counts: counts!, deepCursors, now };
}
