import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { defaultCatalog, periodOf } from "@seatdesk/domain";
import { rowsOf } from "@seatdesk/db";
import type { EventResult } from "../../src/services/usage";
import { callerAs, makeTenant, type Harness, type Tenant } from "../harness";
import { makeKey } from "../usage-helpers";
import { call, cell, cellHarness, requestsPerServer, taken } from "./cell";

/**
 * DESIGN.md §3: the usage path's invariants hold with two API servers on one database, each with its own
 * in-process lanes (services/usage/coalesce.ts groups only the events one process receives; the database
 * decides: row locks, the unique idempotency key, a rerun after a key race). Every request goes through
 * HAProxy, round robin over both servers; its stats show each took its share.
 */
type Recorded = EventResult & { replayed: boolean };
interface WireEvent {
  userId: string;
  credits: number;
  client: string;
  occurredAt: string;
  idempotencyKey: string;
}

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

const record = (key: string, e: WireEvent) => call<Recorded>(cell().url, "usage.record", e, { key });

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
    const before = await requestsPerServer();
    const body: WireEvent = { userId, credits: 12.34, client: "ide", occurredAt, idempotencyKey: "same-key" };
    const answers = await Promise.all(Array.from({ length: 100 }, () => record(key, body)));
    const spread = taken(before, await requestsPerServer());
    expect(spread).toHaveLength(2);
    for (const n of spread) expect(n, `requests per server: ${spread.join(", ")}`).toBeGreaterThanOrEqual(40);

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
