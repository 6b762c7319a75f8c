import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { defaultCatalog, periodOf } from "@seatdesk/domain";
import { rowsOf } from "@seatdesk/db";
import type { EventResult } from "../../src/services/usage";
import { callerAs, makeTenant, type Harness, type Tenant } from "../harness";
import { makeKey, type WireEvent } from "../usage-helpers";
import { call, cell, cellHarness, haproxy, requestsPerServer, taken } from "./cell";

/**
 * DESIGN.md §3: the usage path's invariants hold with two API servers on one database, each with its own
 * in-process lanes (services/usage/coalesce.ts groups only the events one process receives; the database
 * decides: row locks, the unique idempotency key, a rerun after a key race). HAProxy sends one key's usage to
 * one server (ops/cell.sh), so these tests send each request straight to a server, the two in turn: half of
 * every key's concurrent events reach each process. The last test checks HAProxy's routing itself.
 */
type Recorded = EventResult & { replayed: boolean };

const proAllowanceCc = 100_000;
const cc = (credits: number) => Math.round(credits * 100);
let h: Harness;
let occurredAt: string;
let period: string;

beforeAll(async () => {
  h = await cellHarness();
  // The servers run on the real clock: events of now, in this month.
  const now = h.clock.now();
  occurredAt = now.toISOString();
  period = periodOf(now).id;
});
afterAll(() => h.close());

/** Requests sent so far: the next goes to server `sent % 2`. */
let sent = 0;
const record = (key: string, e: WireEvent) => {
  const { servers } = cell();
  return call<Recorded>(servers[sent++ % servers.length]!.url, "usage.record", e, { key });
};

async function tenant(users: number): Promise<{ t: Tenant; key: string }> {
  const t = await makeTenant(h, { users });
  await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
  return { t, key: (await makeKey(h, t)).key };
}

/** mulberry32: the same credits every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `clients` clients side by side, each sending `count` events one after another (users round robin by client). */
async function drive(key: string, tag: string, userIds: string[], clients: number, count: number, maxCc: number) {
  const next = seeded(clients * count + maxCc);
  const streams = Array.from({ length: clients }, (_, c) =>
    Array.from({ length: count }, (_, i): WireEvent => ({ userId: userIds[c % userIds.length]!, credits: (1 + Math.floor(next() * maxCc)) / 100, client: `client-${c}`, occurredAt, idempotencyKey: `${tag}-${c}-${i}` })),
  );
  const out: { sent: WireEvent; answer: Awaited<ReturnType<typeof record>> }[] = [];
  await Promise.all(streams.map(async (events) => {
    for (const sent of events) out.push({ sent, answer: await record(key, sent) });
  }));
  expect(out.filter((o) => o.answer.status !== 200).map((o) => `${o.answer.status} ${o.answer.message}`)).toEqual([]);
  return out.map((o) => ({ sent: o.sent, result: o.answer.data! }));
}

async function ledgerOf(t: Tenant, userId: string) {
  const [row] = rowsOf<{ included: string | number; overage: string | number; unbilled: string | number }>(
    await h.database.db.execute(sql`select included_cc as included, overage_cc as overage, unbilled_cc as unbilled from subscription_months
      where account_id = ${t.accountId}::uuid and profile_id = ${t.profileId}::uuid and user_id = ${userId}::uuid and period = ${period}`),
  );
  return { included: Number(row!.included), overage: Number(row!.overage), unbilled: Number(row!.unbilled) };
}

async function eventTotals(t: Tenant, userId: string) {
  const [row] = rowsOf<Record<"n" | "credits" | "included" | "overage" | "unbilled", string | number>>(
    await h.database.db.execute(sql`select count(*) as n, coalesce(sum(credits_cc), 0) as credits, coalesce(sum(included_cc), 0) as included,
      coalesce(sum(overage_cc), 0) as overage, coalesce(sum(unbilled_cc), 0) as unbilled from usage_events
      where account_id = ${t.accountId}::uuid and profile_id = ${t.profileId}::uuid and user_id = ${userId}::uuid`),
  );
  return { n: Number(row!.n), credits: Number(row!.credits), included: Number(row!.included), overage: Number(row!.overage), unbilled: Number(row!.unbilled) };
}

async function profileOverageCc(t: Tenant): Promise<number> {
  const [row] = rowsOf<{ overage: string | number }>(
    await h.database.db.execute(sql`select overage_cc as overage from profile_months where account_id = ${t.accountId}::uuid and profile_id = ${t.profileId}::uuid and period = ${period}`),
  );
  return Number(row?.overage ?? 0);
}

/** Each accepted answer's counters are the previous one's plus its event, in the order applied: no update lost or doubled across the servers. */
function expectOneHistory(accepted: { sent: WireEvent; result: Recorded }[]) {
  const ordered = [...accepted].sort((a, b) => a.result.state.usedCc - b.result.state.usedCc);
  let used = 0;
  for (const { sent, result } of ordered) {
    used += cc(sent.credits);
    expect(result.includedCc + result.overageCc + result.unbilledCc).toBe(cc(sent.credits));
    expect(result.state.usedCc).toBe(used);
  }
}

describe("usage across two servers behind HAProxy", () => {
  it("100 concurrent records with one idempotency key: one event, one debit, the same answer on both servers", async () => {
    const { t, key } = await tenant(1);
    const userId = t.userIds[0]!;
    const body: WireEvent = { userId, credits: 12.34, client: "ide", occurredAt, idempotencyKey: "same-key" };
    expect(cell().servers).toHaveLength(2);
    const answers = await Promise.all(Array.from({ length: 100 }, () => record(key, body)));

    expect(answers.filter((a) => a.status !== 200).map((a) => a.message)).toEqual([]);
    expect(answers.filter((a) => !a.data!.replayed)).toHaveLength(1);
    const { replayed: _, ...first } = answers[0]!.data!;
    for (const a of answers) expect({ ...a.data!, replayed: false }).toEqual({ ...first, replayed: false });
    expect(await eventTotals(t, userId)).toEqual({ n: 1, credits: 1_234, included: 1_234, overage: 0, unbilled: 0 });
    expect(await ledgerOf(t, userId)).toEqual({ included: 1_234, overage: 0, unbilled: 0 });

    // The same key with another body, from either server: a CONFLICT, and still one debit.
    const other = await Promise.all(Array.from({ length: 10 }, (_, i) => record(key, { ...body, credits: 1 + i })));
    expect(other.map((a) => a.code)).toEqual(Array.from({ length: 10 }, () => "CONFLICT"));
    expect((await eventTotals(t, userId)).n).toBe(1);
  });

  it("8 clients × 150 events on one user, cap of 50 credits: counters equal the events to the hundredth, the allowance and the cap never exceeded", async () => {
    const { t, key } = await tenant(1);
    const userId = t.userIds[0]!;
    const admin = callerAs(h, t.admins.admin);
    await admin.settings.update({ profileId: t.profileId, overagesEnabled: true });
    await admin.settings.setUserOverride({ profileId: t.profileId, userId, cap: 50 });
    const capCc = 5_000;

    const accepted = await drive(key, "cap", [userId], 8, 150, 300);
    const totalCc = accepted.reduce((sum, a) => sum + cc(a.sent.credits), 0);
    expect(totalCc).toBeGreaterThan(proAllowanceCc + capCc);
    const ledger = await ledgerOf(t, userId);
    expect(ledger).toEqual({ included: proAllowanceCc, overage: capCc, unbilled: totalCc - proAllowanceCc - capCc });
    expect(await eventTotals(t, userId)).toEqual({ n: 8 * 150, credits: totalCc, ...ledger });
    for (const a of accepted) expect(a.result.state.overageCc).toBeLessThanOrEqual(capCc);
    expectOneHistory(accepted);
    expect(await profileOverageCc(t)).toBe(capCc);
  });

  it("two users' concurrent events never take the profile's overage past its budget (exact money)", async () => {
    const { t, key } = await tenant(2);
    const budgetCents = 251; // 62.75 credits of overage at 4 cents a credit
    await callerAs(h, t.admins.admin).settings.update({ profileId: t.profileId, overagesEnabled: true, budgetCents });

    const accepted = await drive(key, "budget", t.userIds, 8, 40, 2_000);
    const profileOverage = await profileOverageCc(t);
    // Demand is far past the budget: it is used to the last hundredth of a credit, and not one past it.
    expect(profileOverage * defaultCatalog.overageCentsPerCredit).toBe(budgetCents * 100);
    let overage = 0;
    for (const userId of t.userIds) {
      const mine = accepted.filter((a) => a.sent.userId === userId);
      const totalCc = mine.reduce((sum, a) => sum + cc(a.sent.credits), 0);
      const ledger = await ledgerOf(t, userId);
      expect(ledger.included).toBe(proAllowanceCc);
      expect(ledger.included + ledger.overage + ledger.unbilled).toBe(totalCc);
      expect(await eventTotals(t, userId)).toEqual({ n: 160, credits: totalCc, ...ledger });
      expectOneHistory(mine);
      overage += ledger.overage;
    }
    expect(overage).toBe(profileOverage);
  });
});

describe("HAProxy's routing of the usage API", () => {
  /** Which server of the `usage` backend answered `n` checks sent through HAProxy with this key (each answered 200). */
  async function serverOf(key: string, userId: string, n = 5): Promise<string> {
    const before = await requestsPerServer("usage");
    for (let i = 0; i < n; i++) {
      const answer = await call(cell().url, "usage.check", { userId }, { key }, true);
      expect(answer.status, answer.message).toBe(200);
    }
    const after = await requestsPerServer("usage");
    const took = [...after].filter(([name, count]) => count - (before.get(name) ?? 0) > 0);
    expect(took.map(([name, count]) => [name, count - (before.get(name) ?? 0)]), "one key's requests all reach one server").toEqual([[took[0]![0], n]]);
    return took[0]![0];
  }

  it("one key's usage reaches one server, keys spread over both, the console goes round robin; a drained server's keys move to the other and come back", async () => {
    const { t, key } = await tenant(1);
    const userId = t.userIds[0]!;
    const keys = [key, ...(await Promise.all(Array.from({ length: 15 }, (_, i) => makeKey(h, t, `backend ${i}`)))).map((k) => k.key)];
    const homes: string[] = [];
    for (const k of keys) homes.push(await serverOf(k, userId));
    // 16 keys hashed over two servers: all on one would happen once in 32,768 runs.
    expect(new Set(homes).size, `the keys' servers: ${homes.join(", ")}`).toBe(2);

    const before = await requestsPerServer("servers");
    for (let i = 0; i < 20; i++) expect((await call(cell().url, "session.me", undefined, {}, true)).status).toBe(401);
    const spread = taken(before, await requestsPerServer("servers"));
    expect(spread).toHaveLength(2);
    for (const n of spread) expect(n, `console requests per server: ${spread.join(", ")}`).toBeGreaterThanOrEqual(8);

    // Drained for a deploy (or failing its health check): the key's requests go to the other server, then come back.
    const home = homes[0]!;
    expect(await haproxy(`set server servers/${home} state maint`)).toMatch(/^\s*$/);
    try {
      expect(await serverOf(key, userId)).not.toBe(home);
    } finally {
      await haproxy(`set server servers/${home} state ready`);
    }
    expect(await serverOf(key, userId)).toBe(home);
  });
});
