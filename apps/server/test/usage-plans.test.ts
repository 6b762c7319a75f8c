import { describe, expect, it, beforeAll } from "vitest";
import { sql, type Query } from "drizzle-orm";
import { foldName, rowsOf, type Executor } from "@seatdesk/db";
import { load, subscriptionLocks } from "../src/services/usage/load";
import type { UserRef } from "../src/services/usage/parse";
import { writeOne, type EventRow, type LedgerWrite, type SubscriptionWrite } from "../src/services/usage/write";
import { harnessForFile, makeTenant, subscribeAt, testNow, type Tenant } from "./harness";

/**
 * The usage path's reads and locks probe their indexes one value at a time, whatever the planner expects of
 * a profile. Among many small tenants a generic plan expects a handful of rows under (account, profile),
 * and a list compared with `in (…)` was then a filter over all of a large profile's rows instead of an index
 * condition: every group of events re-read all its keys. Here 1,500 small tenants and one large one are
 * analyzed, the statements load sends for groups of users and keys are captured, and each is run with
 * PostgreSQL's generic plan forced (what a connection uses after five runs of a statement); a batch's, whose
 * arrays PostgreSQL plans for their values on each call, with such a plan forced.
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
  // 1,500 small tenants: two people subscribed, with their month's ledgers and a stored key each.
  await db.execute(sql`
    with a as (insert into accounts (name) select 'Small ' || g from generate_series(1, 1500) g returning id),
      p as (insert into profiles (account_id, region, name) select id, 'us-east-1', 'Main' from a returning account_id, id),
      u as (insert into directory_users (account_id, user_name, email, display_name)
        select p.account_id, 'u' || n || '-' || p.id, 'u' || n || '-' || p.id, 'Person ' || n from p, generate_series(1, 2) n returning account_id, id),
      s as (insert into subscriptions (account_id, profile_id, user_id, tier, status)
        select u.account_id, p.id, u.id, 'pro', 'active' from u join p on p.account_id = u.account_id returning 1),
      m as (insert into subscription_months (account_id, profile_id, period, user_id, fee_tier, active_at_start, first_month_prorated, included_cc, overage_cc, unbilled_cc, updated_at)
        select u.account_id, p.id, ${period}, u.id, 'pro', true, false, 0, 0, 0, ${testNow.toISOString()}::timestamptz from u join p on p.account_id = u.account_id returning 1)
    insert into usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result)
    select u.account_id, p.id, 'key-' || u.id, u.id, 'ide', 100, ${testNow.toISOString()}::timestamptz, '{}'::jsonb from u join p on p.account_id = u.account_id`);
  for (const table of ["accounts", "profiles", "directory_users", "subscriptions", "subscription_months", "usage_keys"]) await db.execute(sql.raw(`analyze ${table}`));
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
    for (const r of refs) expect(loaded.users.has("userId" in r ? r.userId : `name:${foldName(r.userName)}`), JSON.stringify(r)).toBe(true);
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
  "Recheck Cond"?: string;
  Filter?: string;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

class RolledBack extends Error {}

/**
 * Runs a statement under its generic plan (or, `custom`, a plan for its values, as PostgreSQL makes for a
 * batch's arrays), in a transaction rolled back after it, and returns every node of the plan it ran.
 */
async function planOf(query: Query, mode: "generic" | "custom"): Promise<PlanNode[]> {
  const nodes: PlanNode[] = [];
  await h.database.db
    .transaction(async (tx) => {
      await tx.execute(sql.raw(`set local plan_cache_mode = force_${mode}_plan`));
      await tx.execute(sql.raw(`prepare probe_plan as ${query.sql}`));
      const result = rowsOf<Record<string, unknown>>(await tx.execute(sql.raw(`explain (analyze, format json) execute probe_plan(${query.params.map(literal).join(", ")})`)));
      await tx.execute(sql`deallocate probe_plan`);
      const raw = Object.values(result[0]!)[0];
      const [{ Plan }] = (typeof raw === "string" ? JSON.parse(raw) : raw) as [{ Plan: PlanNode }];
      const walk = (n: PlanNode) => {
        nodes.push(n);
        n.Plans?.forEach(walk);
      };
      walk(Plan);
      throw new RolledBack();
    })
    .catch((e: unknown) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  return nodes;
}

/** What an index scan looks up (a bitmap scan rechecks the same condition on the rows it reads). */
const conditionOf = (n: PlanNode) => n["Index Cond"] ?? n["Recheck Cond"];

/**
 * Each scan of the tables a profile's lists probe is an index scan with the probed column in its condition
 * (or, for a row found so, a scan by its address), and no node filters rows away.
 */
async function expectProbes(query: Query) {
  const nodes = await planOf(query, "generic");
  const probed: Record<string, RegExp> = {
    usage_keys: /idempotency_key = /,
    subscriptions: /user_id = /,
    subscription_months: /user_id = /,
    directory_users: /(\bid = |seatdesk_fold\(user_name\) = )/,
  };
  const scans = nodes.filter((n) => n["Relation Name"] && n["Relation Name"] in probed && n["Node Type"] !== "Tid Scan" && !n["Node Type"].startsWith("ModifyTable"));
  expect(scans.length).toBeGreaterThan(0);
  for (const n of scans) {
    expect(n["Node Type"], `${n["Relation Name"]}: ${n["Node Type"]}`).toMatch(/^(Index (Only )?Scan|Bitmap Heap Scan)$/);
    expect(conditionOf(n), `${n["Relation Name"]} by ${n["Index Name"]}: ${conditionOf(n)}, filter ${n.Filter}`).toMatch(probed[n["Relation Name"]!]!);
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

  it("users by id and by name together, in a group, with their keys", async () => {
    const refs: UserRef[] = [...big.userIds.slice(0, 6).map((userId) => ({ userId })), ...userNames.slice(3, 9).map((userName) => ({ userName }))];
    const statements = await statementsOf(refs, ["key-1", "key-602", "key-1203", "key-9999", "key-20000"]);
    expect(statements).toHaveLength(2);
    for (const s of statements) await expectProbes(s);
  });

  it("a batch past the scalar lists, planned for its values, reads its keys by the index", async () => {
    const refs: UserRef[] = [...big.userIds.slice(0, 20).map((userId) => ({ userId })), ...userNames.slice(10, 30).map((userName) => ({ userName }))];
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i * 601 + 1}`);
    const statements = await statementsOf(refs, keys);
    expect(statements).toHaveLength(2);
    for (const s of statements) {
      const nodes = await planOf(s, "custom");
      for (const n of nodes.filter((n) => n["Relation Name"] === "usage_keys")) expect(conditionOf(n)).toMatch(/idempotency_key = /);
      // Not the profile's 20,000 keys, nor all its subscriptions or people.
      expect(nodes.reduce((sum, n) => sum + (n["Rows Removed by Filter"] ?? 0), 0)).toBeLessThan(100);
    }
  });

  it("a single user and key stay one probe each", async () => {
    const statements = await statementsOf([{ userId: big.userIds[5]! }], ["key-5"]);
    for (const s of statements) await expectProbes(s);
  });

  it("a batch of many events for a few users locks them one probe each (the lock holds no array)", async () => {
    const refs = big.userIds.slice(0, 3).map((userId) => ({ userId }));
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i + 1}`);
    const [lock] = await statementsOf(refs, keys);
    await expectProbes(lock!);
  });

  it("a single event's write finds its subscription by the user", async () => {
    const users = big.userIds.slice(0, 1);
    const at = testNow.toISOString();
    const scope = { accountId: big.accountId, profileId: big.profileId, keyId: "test" };
    const events = users.map((userId, i): EventRow => ({
      period, user_id: userId, idempotency_key: `write-${i}`, client: "ide", credits_cc: 100, included_cc: 100, overage_cc: 0, unbilled_cc: 0, occurred_at: at, recorded_at: at,
      result: { idempotencyKey: `write-${i}`, userId, includedCc: 100, overageCc: 0, unbilledCc: 0, stoppedBy: null, activated: false, state: { periodId: period, periodEnd: at, allowanceCc: 0, usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 } },
    }));
    const ledgers = users.map((userId): LedgerWrite => ({ period, user_id: userId, fee_tier: "pro", active_at_start: true, first_activated_at: null, first_month_prorated: false, included_cc: 100, overage_cc: 0, unbilled_cc: 0 }));
    const subs = users.map((userId): SubscriptionWrite => ({ user_id: userId, status: "active", activated_at: at, last_active_at: at }));
    await expectProbes(writeOne(scope, events[0]!, ledgers[0]!, 0, subs[0]!, []));
  });
});
