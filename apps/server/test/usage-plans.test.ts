import { describe, expect, it, beforeAll } from "vitest";
import { sql, type Query } from "drizzle-orm";
import { rowsOf, type Executor } from "@seatdesk/db";
import { load, subscriptionLocks } from "../src/services/usage/load";
import type { UserRef } from "../src/services/usage/parse";
import { harnessForFile, makeTenant, subscribeAt, testNow, type Tenant } from "./harness";

/**
 * The usage path's reads and locks probe their indexes one value at a time, whatever the planner expects of
 * a profile. Among many small tenants a generic plan expects a handful of rows under (account, profile),
 * and a list compared with `in (…)` was then a filter over all of a large profile's rows instead of an index
 * condition: every group of events re-read all its keys. Here 1,500 small tenants and one large one are
 * analyzed, the statements load sends for groups of users and keys are captured, and each is run with
 * PostgreSQL's generic plan forced (what a connection uses after five runs of a statement).
 */

const h = harnessForFile();
const period = "2026-01";
const bigKeys = 20_000;
let big: Tenant;
let userNames: string[];

beforeAll(async () => {
  big = await makeTenant(h, { users: 40 });
  await subscribeAt(h, big, big.userIds, "pro", testNow);
  const db = h.database.db;
  await db.execute(sql`
    insert into usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result)
    select ${big.accountId}::uuid, ${big.profileId}::uuid, 'key-' || g, ${big.userIds[0]}::uuid, 'ide', 100, ${testNow.toISOString()}::timestamptz, '{}'::jsonb
    from generate_series(1, ${bigKeys}) g`);
  // 1,500 small tenants: two people subscribed and two stored keys each.
  await db.execute(sql`
    with a as (insert into accounts (name) select 'Small ' || g from generate_series(1, 1500) g returning id),
      p as (insert into profiles (account_id, region, name) select id, 'us-east-1', 'Main' from a returning account_id, id),
      u as (insert into directory_users (account_id, user_name, email, display_name)
        select p.account_id, 'u' || n || '-' || p.id, 'u' || n || '-' || p.id, 'Person ' || n from p, generate_series(1, 2) n returning account_id, id),
      s as (insert into subscriptions (account_id, profile_id, user_id, tier, status)
        select u.account_id, p.id, u.id, 'pro', 'pending' from u join p on p.account_id = u.account_id returning 1)
    insert into usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result)
    select u.account_id, p.id, 'key-' || u.id, u.id, 'ide', 100, ${testNow.toISOString()}::timestamptz, '{}'::jsonb from u join p on p.account_id = u.account_id`);
  for (const table of ["accounts", "profiles", "directory_users", "subscriptions", "usage_keys"]) await db.execute(sql.raw(`analyze ${table}`));
  const rows = rowsOf<{ user_name: string }>(await db.execute(sql`select user_name from directory_users where account_id = ${big.accountId}::uuid order by id`));
  userNames = rows.map((r) => r.user_name);
}, 120_000);

/** The statements `load` sends (locks, then the read) for these references and keys, captured on their way to the driver. */
async function statementsOf(refs: UserRef[], keys: string[]): Promise<Query[]> {
  const seen: Query[] = [];
  await h.database.db.transaction(async (tx) => {
    const session = tx._.session;
    const prepareQuery: typeof session.prepareQuery = (query, ...rest) => {
      seen.push(query);
      return session.prepareQuery(query, ...rest);
    };
    const recording = new Proxy(tx, {
      get: (target, property, receiver) => (property === "_" ? { ...target._, session: new Proxy(session, { get: (s, p) => (p === "prepareQuery" ? prepareQuery : Reflect.get(s, p, s)) }) } : Reflect.get(target, property, receiver)),
    }) as unknown as Executor;
    const loaded = await load(recording, { accountId: big.accountId, profileId: big.profileId, keyId: "test" }, refs, [period], keys, subscriptionLocks);
    // The read is right, whatever its plan: every user found, every stored key answered.
    expect(loaded.users.size).toBeGreaterThanOrEqual(new Set(refs.map((r) => ("userId" in r ? r.userId : r.userName))).size);
    expect([...loaded.stored.keys()].sort()).toEqual(keys.filter((k) => Number(k.slice(4)) <= bigKeys).sort());
  });
  return seen;
}

const literal = (v: unknown) => (v === null ? "null" : `'${String(v).replace(/'/g, "''")}'`);

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

/** Runs a statement under its generic plan and returns every node of the plan it ran. */
async function genericPlan(query: Query): Promise<PlanNode[]> {
  return h.database.db.transaction(async (tx) => {
    await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
    await tx.execute(sql.raw(`prepare probe_plan as ${query.sql}`));
    try {
      const result = rowsOf<Record<string, unknown>>(await tx.execute(sql.raw(`explain (analyze, format json) execute probe_plan(${query.params.map(literal).join(", ")})`)));
      const raw = Object.values(result[0]!)[0];
      const [{ Plan }] = (typeof raw === "string" ? JSON.parse(raw) : raw) as [{ Plan: PlanNode }];
      const nodes: PlanNode[] = [];
      const walk = (n: PlanNode) => {
        nodes.push(n);
        n.Plans?.forEach(walk);
      };
      walk(Plan);
      return nodes;
    } finally {
      await tx.execute(sql`deallocate probe_plan`);
    }
  });
}

/** Each scan of the tables a profile's lists probe is an index scan with the probed column in its condition, and no node filters rows away. */
async function expectProbes(query: Query) {
  const nodes = await genericPlan(query);
  const probed: Record<string, RegExp> = { usage_keys: /idempotency_key = /, subscriptions: /user_id = /, directory_users: /(\bid = |seatdesk_fold\(user_name\) = )/ };
  const scans = nodes.filter((n) => n["Relation Name"] && n["Relation Name"] in probed);
  expect(scans.length).toBeGreaterThan(0);
  for (const n of scans) {
    expect(n["Node Type"], `${n["Relation Name"]}: ${n["Node Type"]}`).toMatch(/^Index (Only )?Scan$/);
    expect(n["Index Cond"], `${n["Relation Name"]} by ${n["Index Name"]}: ${n["Index Cond"]}, filter ${n.Filter}`).toMatch(probed[n["Relation Name"]!]!);
  }
  const removed = nodes.reduce((sum, n) => sum + (n["Rows Removed by Filter"] ?? 0), 0);
  expect(removed).toBeLessThan(10);
}

describe("a large profile among many small ones", () => {
  it("a group of users by id with its keys: the lock and the read probe one value at a time", async () => {
    const refs = big.userIds.slice(0, 4).map((userId) => ({ userId }));
    const statements = await statementsOf(refs, ["key-7", "key-19999", "key-400", "key-123456"]);
    expect(statements).toHaveLength(2);
    for (const s of statements) await expectProbes(s);
  });

  it("users by id and by name together, in a batch past the scalar lists, with as many keys", async () => {
    const refs: UserRef[] = [...big.userIds.slice(0, 20).map((userId) => ({ userId })), ...userNames.slice(10, 30).map((userName) => ({ userName }))];
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i * 601 + 1}`);
    const statements = await statementsOf(refs, keys);
    expect(statements).toHaveLength(2);
    for (const s of statements) await expectProbes(s);
  });

  it("a single user and key stay one probe each", async () => {
    const statements = await statementsOf([{ userId: big.userIds[5]! }], ["key-5"]);
    for (const s of statements) await expectProbes(s);
  });
});
