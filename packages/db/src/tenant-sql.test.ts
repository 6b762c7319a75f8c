import { beforeAll, describe, expect, it } from "vitest";
import { seatdeskDistribution } from "./distribution";
import { loadParser, tenantSqlProblems } from "./tenant-sql";

/** The check that each statement stays within one account (tenant-sql.ts), on statements whose answer is known. */

const a = "6f1c2a52-4f7e-4c55-9a39-0f7b1f4d2a01";
const b = "0d8e5f37-1c2b-4a8e-8f0e-3b6a9c7d5e02";
const problems = (statement: string, params: unknown[] = [a, a, a, a]) => tenantSqlProblems(statement, params, seatdeskDistribution).map((p) => p.message);

beforeAll(() => loadParser());

describe("statements within one account", () => {
  it.each([
    ["a filter by parameter", "select * from subscriptions where account_id = $1 and profile_id = $2"],
    ["a filter by literal, quoted and qualified", `select * from "subscriptions" where "subscriptions"."account_id" = '${a}'::uuid`],
    ["a join on account_id", "select * from subscriptions s join directory_users u on u.account_id = s.account_id and u.id = s.user_id where s.account_id = $1"],
    ["a left join on account_id, the filter on the right", "select * from directory_users u left join subscriptions s on s.account_id = u.account_id and s.user_id = u.id where u.account_id = $1"],
    ["a correlated EXISTS", "select * from profiles p where p.account_id = $1 and exists (select 1 from subscriptions s where s.account_id = p.account_id)"],
    ["a CTE's account_id", "with x as (select account_id, id from profiles where account_id = $1) select * from subscriptions s join x on s.account_id = x.account_id and s.profile_id = x.id"],
    ["a lateral subquery", "select * from directory_users u, lateral (select count(*) from group_members g where g.account_id = u.account_id and g.user_id = u.id) c where u.account_id = $1"],
    ["two arms of a UNION, one account", "select id from profiles where account_id = $1 union all select id from profiles where account_id = $2"],
    ["PostgreSQL's catalogs (the partitions of a table)", "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'usage_events'::regclass"],
    ["an insert", "insert into notices (account_id, profile_id, period, kind) values ($1, $2, '2026-01', 'x') on conflict do nothing"],
    ["an insert ... select", "insert into profile_months (account_id, profile_id, period) select $1, $2, p from unnest($3::text[]) as p"],
    ["an update with a FROM", "update subscriptions s set tier = 'pro' from directory_users u where u.account_id = s.account_id and u.id = s.user_id and s.account_id = $1"],
    ["a delete with a USING", "delete from group_members g using directory_groups d where d.account_id = g.account_id and d.id = g.group_id and g.account_id = $1"],
    ["the account itself", "select name from accounts where id = $1"],
    ["a new account", "insert into accounts (id, name) values (default, $1) returning id"],
    ["reference tables only", "select points from rate_limits where key = $1"],
    ["no table", "select pg_advisory_xact_lock(hashtextextended($1, 0))"],
  ])("%s", (_, statement) => {
    expect(problems(statement)).toEqual([]);
  });
});

describe("statements that leave one account", () => {
  it.each([
    ["no filter", "select count(*) from subscriptions", ["subscriptions is not filtered by account_id"]],
    ["a join that forgets account_id", "select * from subscriptions s join directory_users u on u.id = s.user_id where s.account_id = $1", ["directory_users (u) is not filtered by account_id"]],
    ["a filter under OR", "select * from profiles where account_id = $1 or region = 'x'", ["profiles is not filtered by account_id"]],
    ["several accounts at once", "update subscriptions set tier = 'pro' where account_id = any($1)", ["subscriptions is not filtered by account_id"]],
    ["an uncorrelated subquery", "select * from profiles p where p.account_id = $1 and exists (select 1 from subscriptions s where s.profile_id = p.id)", ["subscriptions (s) is not filtered by account_id"]],
    ["one arm of a UNION", "select id from profiles where account_id = $1 union select id from profiles", ["profiles is not filtered by account_id"]],
    ["a filter on another column", "select * from api_keys where lookup = $1", ["api_keys is not filtered by account_id"]],
    ["an update's FROM", "update subscriptions s set tier = 'pro' from directory_users u where u.id = s.user_id and s.account_id = $1", ["directory_users (u) is not filtered by account_id"]],
    ["an insert ... select from everywhere", "insert into notices (account_id, profile_id, period, kind) select account_id, id, '2026-01', 'x' from profiles", ["profiles is not filtered by account_id", "notices is not filtered by account_id"]],
  ])("%s", (_, statement, expected) => {
    expect(problems(statement)).toEqual(expected);
  });

  it("two accounts in one statement", () => {
    const statement = "select id from profiles where account_id = $1 union all select id from profiles where account_id = $2";
    expect(problems(statement, [a, b])).toEqual([`reaches 2 accounts (value:"${a}", value:"${b}")`]);
    expect(problems("insert into notices (account_id, profile_id, period, kind) values ($1, $2, '2026-01', 'x'), ($3, $2, '2026-01', 'x')", [a, a, b])).toEqual([
      `reaches 2 accounts (value:"${a}", value:"${b}")`,
    ]);
  });

  it("a batch of accounts, each row joined within its own, is told apart from a statement that mixes accounts", () => {
    const batch = "runs for a batch of accounts (each row joined within its own account)";
    expect(problems("update profiles set closed_through = $1 where (account_id, id) in (select * from unnest($2::uuid[], $3::uuid[]))")).toEqual([batch]);
    expect(
      problems("select m.user_id from unnest($1::uuid[], $2::uuid[]) as t(account_id, profile_id) join subscription_months m on m.account_id = t.account_id and m.profile_id = t.profile_id"),
    ).toEqual([batch]);
    expect(
      problems("insert into invoices (account_id, profile_id, period) select v.account_id, v.profile_id, $1 from json_to_recordset($2::json) as v(account_id uuid, profile_id uuid)"),
    ).toEqual([batch]);
    // A batch that holds one account's rows is that account's statement.
    const close = "update profiles set closed_through = $1 where (account_id, id) in (select * from unnest($2::uuid[], $3::uuid[]))";
    expect(problems(close, ["2026-01", `{${a},${a}}`, `{${b},${a}}`])).toEqual([]);
    expect(problems(close, ["2026-01", `{${a},${b}}`, `{${b},${a}}`])).toEqual([batch]);
    const heads = "insert into invoices (account_id, profile_id, period) select v.account_id, v.profile_id, $1 from json_to_recordset($2::json) as v(account_id uuid, profile_id uuid)";
    expect(problems(heads, ["2026-01", JSON.stringify([{ account_id: a, profile_id: b }])])).toEqual([]);
    expect(problems(heads, ["2026-01", JSON.stringify([{ account_id: a, profile_id: b }, { account_id: b, profile_id: a }])])).toEqual([batch]);
    // A join that leaves the batch's account: not a batch of single-account rows.
    expect(
      problems("select m.user_id from unnest($1::uuid[], $2::uuid[]) as t(account_id, profile_id) join subscription_months m on m.profile_id = t.profile_id"),
    ).toEqual(["subscription_months (m) is not filtered by account_id"]);
  });
});
