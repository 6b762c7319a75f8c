import { describe, expect, it } from "vitest";
import { defaultCatalog, type TierId } from "@seatdesk/domain";
import { defaultProfileSettings, replay, type ProfileEvent } from "@seatdesk/domain/testing";
import { callerAs, harnessForFile, makeTenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * Issue 6: a year on the test clock. The same events go to the server through its API (subscriptions,
 * usage with a profile key, the test clock moving month by month) and to the rules library's profile
 * model; every month's finalized invoice must be exactly the model's.
 */
const h = harnessForFile();
const at = (iso: string) => new Date(iso);

describe("a year on the test clock", () => {
  it("subscribe in January, upgrade and request a downgrade in February, cancel in March, one user Pending all year, overage in some months: every invoice is the rules library's", async () => {
    const start = at("2026-01-01T00:00:00Z");
    h.clock.set(start);
    const t = await makeTenant(h, { users: 4 });
    const [ana, ben, cleo, dev] = t.userIds as [string, string, string, string];
    const owner = callerAs(h, t.admins.owner);
    await owner.settings.update({ profileId: t.profileId, overagesEnabled: true });
    const { key } = await makeKey(h, t);
    const tool = callerWithKey(h, key);

    const k = 100; // centicredits per credit
    const events: ProfileEvent[] = [
      { type: "assign-user", at: at("2026-01-05T09:00:00Z"), userId: ana, tier: "pro" },
      { type: "assign-user", at: at("2026-01-05T09:00:00Z"), userId: ben, tier: "pro" },
      { type: "assign-user", at: at("2026-01-05T09:00:00Z"), userId: cleo, tier: "pro_plus" }, // never uses the tool: Pending all year
      { type: "assign-user", at: at("2026-01-05T09:00:00Z"), userId: dev, tier: "power" },
      { type: "use", at: at("2026-01-06T10:00:00Z"), userId: ana, creditsCc: 500 * k },
      { type: "use", at: at("2026-01-06T11:00:00Z"), userId: ben, creditsCc: 1_150 * k }, // 150 credits of overage
      { type: "use", at: at("2026-01-07T12:00:00Z"), userId: dev, creditsCc: 300 * k },
      { type: "assign-user", at: at("2026-02-03T09:00:00Z"), userId: ana, tier: "power" }, // upgrade: at once
      { type: "use", at: at("2026-02-04T10:00:00Z"), userId: ana, creditsCc: 2_000 * k },
      { type: "assign-user", at: at("2026-02-10T09:00:00Z"), userId: dev, tier: "pro_plus" }, // downgrade: from March 1
      { type: "use", at: at("2026-02-11T10:00:00Z"), userId: ben, creditsCc: 900 * k },
      { type: "assign-user", at: at("2026-03-05T09:00:00Z"), userId: ana, tier: null }, // cancel: access to March 31
      { type: "use", at: at("2026-03-06T10:00:00Z"), userId: dev, creditsCc: 2_600 * k }, // Pro+ from March: overage
      { type: "use", at: at("2026-03-20T10:00:00Z"), userId: ana, creditsCc: 100 * k },
      { type: "use", at: at("2026-05-02T10:00:00Z"), userId: ben, creditsCc: 1_400 * k },
      { type: "use", at: at("2026-08-15T10:00:00Z"), userId: dev, creditsCc: 123 * k + 45 },
      { type: "use", at: at("2026-11-30T23:59:00Z"), userId: ben, creditsCc: 1_001 * k },
    ];

    // The server, event by event, the test clock moving forward (running every close that falls due).
    let n = 0;
    for (const e of events) {
      await owner.clock.advance({ to: e.at.toISOString() });
      if (e.type === "assign-user") {
        if (e.tier === null) await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [e.userId] });
        else if ((await owner.subscriptions.list({ profileId: t.profileId })).rows.find((r) => r.userId === e.userId)?.tier) {
          await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [e.userId], tier: e.tier as TierId });
        } else await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [e.userId], tier: e.tier as TierId });
      } else if (e.type === "use") {
        const r = await tool.usage.record({ userId: e.userId, credits: e.creditsCc / k, client: "ide", occurredAt: e.at.toISOString(), idempotencyKey: `year-${n++}` });
        expect(r.includedCc + r.overageCc + r.unbilledCc).toBe(e.creditsCc);
      }
    }
    const moved = await owner.clock.advance({ to: "2027-01-01T00:20:00Z" });
    expect(moved.failed).toBe(0);

    // The rules library, on the same events.
    const model = replay(defaultCatalog, start, events, at("2027-01-01T00:00:00Z"), { ...defaultProfileSettings, overagesEnabled: true });
    expect(model.invoices.map((i) => i.periodId)).toEqual(Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, "0")}`));

    const viewer = callerAs(h, t.admins.viewer);
    const stored = await viewer.billing.invoices({ profileId: t.profileId, limit: 24 });
    expect(stored.invoices.map((i) => i.periodId).reverse()).toEqual(model.invoices.map((i) => i.periodId));
    const byUser = <L extends { userId: string }>(lines: L[]) => [...lines].sort((a, b) => (a.userId < b.userId ? -1 : 1));
    for (const expected of model.invoices) {
      const got = await viewer.billing.invoice({ profileId: t.profileId, period: expected.periodId, limit: 100 });
      expect({ period: got.periodId, fees: got.feesCents, overage: got.overageCents, total: got.totalCents }, expected.periodId).toEqual({
        period: expected.periodId,
        fees: expected.feesCents,
        overage: expected.overageCents,
        total: expected.totalCents,
      });
      expect(
        byUser(got.lines).map(({ displayName: _d, email: _e, ...line }) => line),
        expected.periodId,
      ).toEqual(byUser(expected.lines).map(({ periodId: _p, ...line }) => line));
    }
    // What the year looked like: Cleo never cost anything; January had overage; Ana's upgrade made February Power.
    const all = model.invoices.flatMap((i) => i.lines);
    expect(all.some((l) => l.userId === cleo)).toBe(false);
    expect(model.invoices[0]!.overageCents).toBeGreaterThan(0);
    expect(model.invoices[1]!.lines.find((l) => l.userId === ana)?.feeTier).toBe("power");
    expect(model.invoices[3]!.lines.some((l) => l.userId === ana)).toBe(false);
  }, 120_000);
});
