import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callerAs, harnessForFile, makeTenant, testNow, writeCounts, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

const h = harnessForFile({ resetClock: true });

type Seats = { pro: [number, number]; pro_plus?: [number, number]; power?: [number, number] };
type Expected = { seats: Seats; activeUsers: number; included: number; overage: number; unbilled: number; fees: number; overageCents: number };

/** A month as dashboard.trends answers it; seats are [Active at the 1st, activated in the month] by fee tier; credits in hundredths. */
function month(periodId: string, source: "invoice" | "estimate" | "none", e?: Expected) {
  const tier = (id: "pro" | "pro_plus" | "power") => {
    const [activeAtStart, activatedInMonth] = e?.seats[id] ?? [0, 0];
    return { tier: id, total: activeAtStart + activatedInMonth, activeAtStart, activatedInMonth };
  };
  const byTier = [tier("pro"), tier("pro_plus"), tier("power")];
  const sum = (k: "total" | "activeAtStart" | "activatedInMonth") => byTier.reduce((s, t) => s + t[k], 0);
  const included = e?.included ?? 0;
  const overage = e?.overage ?? 0;
  const unbilled = e?.unbilled ?? 0;
  return {
    periodId,
    source,
    seats: { total: sum("total"), activeAtStart: sum("activeAtStart"), activatedInMonth: sum("activatedInMonth"), byTier },
    activeUsers: e?.activeUsers ?? 0,
    credits: { usedCc: included + overage + unbilled, includedCc: included, overageCc: overage, unbilledCc: unbilled },
    money: { feesCents: e?.fees ?? 0, overageCents: e?.overageCents ?? 0, totalCents: (e?.fees ?? 0) + (e?.overageCents ?? 0) },
  };
}

/**
 * October 2025 to January 2026 of one profile, all through the API on the test clock (A, B, C are users 0–2):
 * - October (profile created on the 5th): A and B subscribed Pro; A signs in and uses 300 credits; B stays Pending.
 * - November: B uses 1,000.50 credits (activating; overage is off: 0.50 unbilled); A is upgraded to Power on the 15th and uses 10.
 * - December: overage turned on; B uses 1,100 (100 overage, $4.00); A canceled on the 10th (access to the month's end);
 *   C subscribed Pro+ on the 12th, Pending.
 * - January (now: the 8th, 12:00): A's access has ended; B carries on at Pro; C signs in on the 5th and uses 50.
 */
async function fourMonths(): Promise<{ t: Tenant; expected: Record<string, Expected> }> {
  h.clock.set(new Date("2025-10-05T10:00:00Z"));
  const t = await makeTenant(h, { users: 4 });
  const [a, b, c] = t.userIds as [string, string, string];
  const owner = callerAs(h, t.admins.owner);
  const tool = callerWithKey(h, (await makeKey(h, t)).key);
  const to = async (iso: string) => owner.clock.advance({ to: iso });
  const use = (userId: string, credits: number, iso: string) =>
    tool.usage.record({ userId, credits, client: "ide", occurredAt: iso, idempotencyKey: `${userId}-${iso}` });

  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [a, b], tier: "pro" });
  await tool.usage.activate({ userId: a });
  await to("2025-10-10T09:00:00Z");
  await use(a, 300, "2025-10-10T09:00:00Z");

  expect(await to("2025-11-03T09:00:00Z")).toMatchObject({ closed: 1 });
  expect(await use(b, 1000.5, "2025-11-03T09:00:00Z")).toMatchObject({ includedCc: 100_000, overageCc: 0, unbilledCc: 50 });
  await to("2025-11-15T09:00:00Z");
  await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [a], tier: "power" });
  await use(a, 10, "2025-11-15T09:00:00Z");

  expect(await to("2025-12-02T09:00:00Z")).toMatchObject({ closed: 1 });
  await owner.settings.update({ profileId: t.profileId, overagesEnabled: true });
  expect(await use(b, 1100, "2025-12-02T09:00:00Z")).toMatchObject({ includedCc: 100_000, overageCc: 10_000, unbilledCc: 0 });
  await to("2025-12-10T09:00:00Z");
  await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [a] });
  await to("2025-12-12T09:00:00Z");
  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [c], tier: "pro_plus" });

  expect(await to("2026-01-05T09:00:00Z")).toMatchObject({ closed: 1 });
  await use(c, 50, "2026-01-05T09:00:00Z");
  await to(testNow.toISOString());

  return {
    t,
    expected: {
      // A activated and used 300: one new Pro seat, $20.
      "2025-10": { seats: { pro: [0, 1] }, activeUsers: 1, included: 30_000, overage: 0, unbilled: 0, fees: 2_000, overageCents: 0 },
      // A at Power (the highest held while Active), Active since October; B new at Pro. Both used credits.
      "2025-11": { seats: { pro: [0, 1], power: [1, 0] }, activeUsers: 2, included: 101_000, overage: 0, unbilled: 50, fees: 22_000, overageCents: 0 },
      // A's Power month is paid in full though canceled; B used 1,100 (100 × $0.04). C Pending: not a seat. Only B used credits.
      "2025-12": { seats: { pro: [1, 0], power: [1, 0] }, activeUsers: 1, included: 100_000, overage: 10_000, unbilled: 0, fees: 22_000, overageCents: 400 },
      // A ended; B Pro from the 1st without usage (not an active user); C activated at Pro+.
      "2026-01": { seats: { pro: [1, 0], pro_plus: [0, 1] }, activeUsers: 1, included: 5_000, overage: 0, unbilled: 0, fees: 6_000, overageCents: 0 },
    },
  };
}

const before = ["2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"];

describe("dashboard.trends (issue 15, Trends)", () => {
  it("gives 12 months: zeros before the profile, closed months from their invoices, this month from the estimate", async () => {
    const { t, expected } = await fourMonths();
    const viewer = callerAs(h, t.admins.viewer);
    const trends = await viewer.dashboard.trends({ profileId: t.profileId });
    expect(trends.asOf).toBe(testNow.toISOString());
    expect(trends.months).toHaveLength(12);
    expect(trends.months).toEqual([
      ...before.map((id) => month(id, "none")),
      month("2025-10", "invoice", expected["2025-10"]),
      month("2025-11", "invoice", expected["2025-11"]),
      month("2025-12", "invoice", expected["2025-12"]),
      month("2026-01", "estimate", expected["2026-01"]),
    ]);

    // The money is the invoices' and the running estimate's, and each month's seats are its invoice's lines by fee tier.
    const { invoices } = await viewer.billing.invoices({ profileId: t.profileId });
    for (const m of trends.months.filter((x) => x.source === "invoice")) {
      const invoice = await viewer.billing.invoice({ profileId: t.profileId, period: m.periodId });
      expect(invoices.find((i) => i.periodId === m.periodId), m.periodId).toMatchObject(m.money);
      expect(invoice.lines.length, m.periodId).toBe(m.seats.total);
      for (const tier of m.seats.byTier) expect(invoice.lines.filter((l) => l.feeTier === tier.tier).length, `${m.periodId} ${tier.tier}`).toBe(tier.total);
      const credit = (k: "includedCc" | "overageCc" | "unbilledCc") => invoice.lines.reduce((s, l) => s + l[k], 0);
      expect({ includedCc: credit("includedCc"), overageCc: credit("overageCc"), unbilledCc: credit("unbilledCc") }, m.periodId).toMatchObject({
        includedCc: m.credits.includedCc,
        overageCc: m.credits.overageCc,
        unbilledCc: m.credits.unbilledCc,
      });
    }
    const estimate = await viewer.billing.estimate({ profileId: t.profileId });
    expect(trends.months.at(-1)!.money).toEqual({ feesCents: estimate.feesCents, overageCents: estimate.overageCents, totalCents: estimate.totalCents });
  });

  it("months closed before migration 0017 read the same after its backfill as the close writes them", async () => {
    const { t } = await fourMonths();
    const viewer = callerAs(h, t.admins.viewer);
    const written = await viewer.dashboard.trends({ profileId: t.profileId });
    const scope = sql`account_id = ${t.accountId}::uuid and profile_id = ${t.profileId}::uuid`;
    await h.database.db.execute(sql`update invoices set trend_groups = '[]'::jsonb where ${scope}`);
    expect((await viewer.dashboard.trends({ profileId: t.profileId })).months.find((m) => m.periodId === "2025-11")!.seats.total).toBe(0);
    const migration = await readFile(fileURLToPath(new URL("../../../packages/db/migrations/0017_invoice_trend_groups.sql", import.meta.url)), "utf8");
    const backfill = migration.split("--> statement-breakpoint")[1]!;
    expect(backfill).toMatch(/UPDATE "invoices"/);
    await h.database.db.execute(sql.raw(backfill));
    expect(await viewer.dashboard.trends({ profileId: t.profileId })).toEqual(written);
  });

  it("a month in its grace window is still the estimate, and its invoice after the close says the same", async () => {
    const { t, expected } = await fourMonths();
    const owner = callerAs(h, t.admins.owner);
    // February 00:05: January has ended but closes at 00:15; February has just begun.
    expect(await owner.clock.advance({ to: "2026-02-01T00:05:00Z" })).toMatchObject({ closed: 0 });
    const inGrace = await owner.dashboard.trends({ profileId: t.profileId });
    expect(inGrace.months.map((m) => [m.periodId, m.source])).toEqual([
      ...["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"].map((id) => [id, "none"]),
      ["2025-10", "invoice"],
      ["2025-11", "invoice"],
      ["2025-12", "invoice"],
      ["2026-01", "estimate"],
      ["2026-02", "estimate"],
    ]);
    expect(inGrace.months.at(-2)).toEqual(month("2026-01", "estimate", expected["2026-01"]));
    // B and C are Active at February's start: charged already, no activity yet.
    expect(inGrace.months.at(-1)).toEqual(month("2026-02", "estimate", { seats: { pro: [1, 0], pro_plus: [1, 0] }, activeUsers: 0, included: 0, overage: 0, unbilled: 0, fees: 6_000, overageCents: 0 }));

    expect(await owner.clock.advance({ to: "2026-02-01T00:20:00Z" })).toMatchObject({ closed: 1 });
    const closed = await owner.dashboard.trends({ profileId: t.profileId });
    expect(closed.months.at(-2)).toEqual(month("2026-01", "invoice", expected["2026-01"]));
  });

  it("a new profile: eleven empty months and this one, zeros; reading writes nothing", async () => {
    const t = await makeTenant(h, { users: 2 });
    const counts = await writeCounts(h, t.accountId);
    const trends = await callerAs(h, t.admins.viewer).dashboard.trends({ profileId: t.profileId });
    expect(trends.months.map((m) => m.periodId)).toEqual([
      "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
    ]);
    expect(trends.months.slice(0, 11)).toEqual(trends.months.slice(0, 11).map((m) => month(m.periodId, "none")));
    expect(trends.months[11]).toEqual(month("2026-01", "estimate"));
    expect(await writeCounts(h, t.accountId)).toEqual(counts);
  });

  it("names the field of a bad input and hides other accounts' profiles", async () => {
    const mine = await makeTenant(h, { users: 1 });
    const theirs = await makeTenant(h, { users: 1 });
    const api = callerAs(h, mine.admins.viewer);
    await expect(api.dashboard.trends({ profileId: "nope" })).rejects.toThrow(/profileId/);
    await expect(api.dashboard.trends({ profileId: theirs.profileId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
