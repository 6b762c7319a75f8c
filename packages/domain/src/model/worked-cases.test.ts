import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { previewChange } from "../subscription/preview";
import { inForce } from "../subscription/subscription";
import { applyEvent, createProfileModel, defaultProfileSettings, replay, runningCharges, type ProfileEvent, type ProfileSettings } from "./profile-model";

/** Worked cases of issue 3, following the published rules of the console we model (DESIGN.md §2). */
const at = (y: number, m: number, d: number, h = 12, min = 0, s = 0, ms = 0) => new Date(Date.UTC(y, m - 1, d, h, min, s, ms));
const settings = (over: Partial<ProfileSettings> = {}): ProfileSettings => ({ ...defaultProfileSettings, ...over });
const cc = (credits: number) => Math.round(credits * 100);

function line(m: ReturnType<typeof replay>, periodId: string, userId = "alice") {
  const invoice = m.invoices.find((i) => i.periodId === periodId);
  if (!invoice) throw new Error(`no invoice for ${periodId}`);
  return invoice.lines.find((l) => l.userId === userId) ?? null;
}

describe("worked cases (issue 3)", () => {
  it("month 2+ upgrade Pro → Power mid-month costs $200: the $20 already charged plus $180", () => {
    const events: ProfileEvent[] = [
      { type: "assign-user", at: at(2026, 1, 8), userId: "alice", tier: "pro" },
      { type: "use", at: at(2026, 1, 9), userId: "alice", creditsCc: cc(10) },
    ];
    const m = replay(catalog, at(2026, 1, 1), events, at(2026, 2, 15));
    const sub = m.subscriptions.get("alice")!;
    const preview = previewChange({ catalog, subscription: sub, ledger: m.ledgers.get("alice")!, effectiveTier: "power", now: at(2026, 2, 15), cancelAccess: "end-of-month", firstMonth: "full" });
    expect(preview).toMatchObject({ when: "now", outcome: { kind: "upgraded", from: "pro", to: "power" }, thisMonthEstimateCents: { before: 2000, after: 20000, delta: 18000 }, nextMonthCents: 20000 });
    applyEvent(m, { type: "assign-user", at: at(2026, 2, 15), userId: "alice", tier: "power" });
    applyEvent(m, { type: "use", at: at(2026, 3, 1, 0), userId: "alice", creditsCc: 1 });
    expect(line(m, "2026-02")).toEqual({
      userId: "alice", periodId: "2026-02", feeTier: "power", feeCents: 20000, proration: null,
      allowanceCc: cc(10000), includedCc: 0, overageCc: 0, overageCents: 0, unbilledCc: 0, totalCents: 20000,
    });
  });

  it("Pro+ → Pro requested on June 2: June $40, July $20, shown as scheduled until July 1", () => {
    const m = replay(catalog, at(2026, 5, 1), [
      { type: "assign-user", at: at(2026, 5, 3), userId: "alice", tier: "pro_plus" },
      { type: "use", at: at(2026, 5, 4), userId: "alice", creditsCc: 100 },
      { type: "assign-user", at: at(2026, 6, 2), userId: "alice", tier: "pro" },
    ], at(2026, 6, 30, 23, 59, 59, 999));
    const june30 = m.subscriptions.get("alice")!;
    expect(june30).toMatchObject({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: at(2026, 7, 1, 0) });
    expect(inForce(june30, at(2026, 7, 1, 0))).toMatchObject({ tier: "pro", scheduledTier: null });
    applyEvent(m, { type: "use", at: at(2026, 8, 1, 0), userId: "alice", creditsCc: 1 });
    expect(line(m, "2026-06")).toMatchObject({ feeTier: "pro_plus", feeCents: 4000, totalCents: 4000 });
    expect(line(m, "2026-07")).toMatchObject({ feeTier: "pro", feeCents: 2000, totalCents: 2000, allowanceCc: cc(1000) });
  });

  describe("subscribed on the 8th, canceled on the 20th", () => {
    const events = (): ProfileEvent[] => [
      { type: "assign-user", at: at(2026, 1, 8), userId: "alice", tier: "pro" },
      { type: "use", at: at(2026, 1, 8, 13), userId: "alice", creditsCc: 500 },
      { type: "assign-user", at: at(2026, 1, 20), userId: "alice", tier: null },
      { type: "use", at: at(2026, 1, 25), userId: "alice", creditsCc: 500 },
      { type: "use", at: at(2026, 2, 1, 0), userId: "alice", creditsCc: 500 },
    ];
    it("end-of-month: a full month, access until the 1st, nothing the next month", () => {
      const m = replay(catalog, at(2026, 1, 1), events(), at(2026, 3, 1));
      expect(m.changes.find((c) => c.outcome.kind === "canceled")?.outcome).toEqual({ kind: "canceled", accessEndsAt: at(2026, 2, 1, 0) });
      expect(m.uses.map((u) => u.accepted)).toEqual([true, true, false]);
      expect(m.uses[2]).toMatchObject({ accepted: false, reason: "access-ended" });
      expect(line(m, "2026-01")).toMatchObject({ feeCents: 2000, includedCc: 1000, totalCents: 2000 });
      expect(m.invoices.find((i) => i.periodId === "2026-02")).toEqual({ periodId: "2026-02", lines: [], feesCents: 0, overageCents: 0, totalCents: 0 });
    });
    it("immediate: access ends at the cancel, the month stays charged in full", () => {
      const m = replay(catalog, at(2026, 1, 1), events(), at(2026, 3, 1), settings({ cancelAccess: "immediate" }));
      expect(m.uses.map((u) => u.accepted)).toEqual([true, false, false]);
      expect(line(m, "2026-01")).toMatchObject({ feeCents: 2000, includedCc: 500, totalCents: 2000 });
    });
  });

  it("Alice, Pro through group A and Pro+ through group B, is charged once, $40; Bob in two regions is charged twice", () => {
    const events: ProfileEvent[] = [
      { type: "assign-group", at: at(2026, 1, 2), groupId: "A", tier: "pro" },
      { type: "assign-group", at: at(2026, 1, 2), groupId: "B", tier: "pro_plus" },
      { type: "join-group", at: at(2026, 1, 3), groupId: "A", userId: "alice" },
      { type: "join-group", at: at(2026, 1, 3), groupId: "B", userId: "alice" },
      { type: "use", at: at(2026, 1, 4), userId: "alice", creditsCc: 1 },
    ];
    const m = replay(catalog, at(2026, 1, 1), events, at(2026, 2, 1));
    expect(m.invoices[0]!.lines).toHaveLength(1);
    expect(line(m, "2026-01")).toMatchObject({ feeTier: "pro_plus", feeCents: 4000, allowanceCc: cc(2000) });

    const bob: ProfileEvent[] = [
      { type: "assign-user", at: at(2026, 1, 2), userId: "bob", tier: "pro" },
      { type: "use", at: at(2026, 1, 4), userId: "bob", creditsCc: 1 },
    ];
    const usEast = replay(catalog, at(2026, 1, 1), bob, at(2026, 2, 1));
    const euCentral = replay(catalog, at(2026, 1, 1), bob, at(2026, 2, 1));
    expect([line(usEast, "2026-01", "bob")?.totalCents, line(euCentral, "2026-01", "bob")?.totalCents]).toEqual([2000, 2000]);
  });

  describe("Pro with 1,100 credits used", () => {
    const events: ProfileEvent[] = [
      { type: "assign-user", at: at(2026, 1, 2), userId: "alice", tier: "pro" },
      { type: "use", at: at(2026, 1, 3), userId: "alice", creditsCc: cc(600) },
      { type: "use", at: at(2026, 1, 4), userId: "alice", creditsCc: cc(500) },
    ];
    it("overage on: $4.00 of overage", () => {
      const m = replay(catalog, at(2026, 1, 1), events, at(2026, 2, 1), settings({ overagesEnabled: true }));
      expect(line(m, "2026-01")).toMatchObject({ feeCents: 2000, includedCc: cc(1000), overageCc: cc(100), overageCents: 400, unbilledCc: 0, totalCents: 2400 });
    });
    it("overage off: blocked at 1,000, the last request's overshoot recorded as unbilled", () => {
      const m = replay(catalog, at(2026, 1, 1), events, at(2026, 2, 1));
      expect(m.uses[1]).toMatchObject({ accepted: true, includedCc: cc(400), overageCc: 0, unbilledCc: cc(100), stoppedBy: "allowance-used-overage-off" });
      expect(line(m, "2026-01")).toMatchObject({ feeCents: 2000, includedCc: cc(1000), overageCc: 0, overageCents: 0, unbilledCc: cc(100), totalCents: 2000 });
    });
  });

  it("month 2+ upgrade Pro → Pro+ after 1,010 credits with overage on: $40 and no overage (the month is re-rated)", () => {
    const m = replay(catalog, at(2026, 1, 1), [
      { type: "assign-user", at: at(2026, 1, 2), userId: "alice", tier: "pro" },
      { type: "use", at: at(2026, 1, 3), userId: "alice", creditsCc: 1 },
      { type: "use", at: at(2026, 2, 3), userId: "alice", creditsCc: cc(1010) },
      { type: "assign-user", at: at(2026, 2, 10), userId: "alice", tier: "pro_plus" },
    ], at(2026, 3, 1), settings({ overagesEnabled: true }));
    expect(m.uses[1]).toMatchObject({ includedCc: cc(1000), overageCc: cc(10) });
    expect(line(m, "2026-02")).toMatchObject({ feeTier: "pro_plus", feeCents: 4000, allowanceCc: cc(2000), includedCc: cc(1010), overageCc: 0, overageCents: 0, totalCents: 4000 });
  });

  it("firstMonth prorated, 30-day month, activated on the 21st: $6.67; upgraded to Pro+ later that month: $13.33", () => {
    const base: ProfileEvent[] = [
      { type: "assign-user", at: at(2026, 6, 1), userId: "alice", tier: "pro" },
      { type: "use", at: at(2026, 6, 21, 9), userId: "alice", creditsCc: 1 },
    ];
    const s = settings({ firstMonth: "prorated" });
    const plain = replay(catalog, at(2026, 6, 1), base, at(2026, 7, 1), s);
    expect(line(plain, "2026-06")).toMatchObject({ feeTier: "pro", feeCents: 667, proration: { days: 10, daysInMonth: 30 } });
    const upgraded = replay(catalog, at(2026, 6, 1), [...base, { type: "assign-user", at: at(2026, 6, 25), userId: "alice", tier: "pro_plus" }], at(2026, 8, 1), s);
    expect(line(upgraded, "2026-06")).toMatchObject({ feeTier: "pro_plus", feeCents: 1333, proration: { days: 10, daysInMonth: 30 } });
    // The month after is not a first paid month: full price.
    expect(line(upgraded, "2026-07")).toMatchObject({ feeCents: 4000, proration: null });
  });

  it("Pending for the whole month: $0 and no last-active", () => {
    const m = replay(catalog, at(2026, 1, 1), [{ type: "assign-user", at: at(2026, 1, 2), userId: "alice", tier: "power" }], at(2026, 2, 1));
    expect(m.invoices[0]!.lines).toEqual([]);
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "pending", lastActiveAt: null, activatedAt: null });
  });

  describe("period edges", () => {
    it("an event at 23:59:59.999 on the 31st and one at 00:00:00.000 on the 1st fall in different periods (edge case 1)", () => {
      const m = replay(catalog, at(2026, 1, 1), [
        { type: "assign-user", at: at(2026, 1, 2), userId: "alice", tier: "pro" },
        { type: "use", at: at(2026, 1, 31, 23, 59, 59, 999), userId: "alice", creditsCc: 7 },
        { type: "use", at: at(2026, 2, 1, 0, 0, 0, 0), userId: "alice", creditsCc: 9 },
      ], at(2026, 3, 1));
      expect(line(m, "2026-01")).toMatchObject({ includedCc: 7 });
      expect(line(m, "2026-02")).toMatchObject({ includedCc: 9 });
    });

    it("February in a leap year has 29 days: activated on the 29th, prorated 1/29", () => {
      const m = replay(catalog, at(2028, 2, 1), [
        { type: "assign-user", at: at(2028, 2, 1), userId: "alice", tier: "pro" },
        { type: "use", at: at(2028, 2, 29, 23), userId: "alice", creditsCc: 1 },
      ], at(2028, 3, 1), settings({ firstMonth: "prorated" }));
      expect(line(m, "2028-02")).toMatchObject({ feeCents: 69, proration: { days: 1, daysInMonth: 29 } }); // 2000 / 29 = 68.97
    });

    it("a subscription activated on the 31st: full month by default, one day of 31 prorated", () => {
      const events: ProfileEvent[] = [
        { type: "assign-user", at: at(2026, 1, 30), userId: "alice", tier: "power" },
        { type: "use", at: at(2026, 1, 31, 22), userId: "alice", creditsCc: 1 },
      ];
      expect(line(replay(catalog, at(2026, 1, 1), events, at(2026, 2, 1)), "2026-01")).toMatchObject({ feeCents: 20000 });
      expect(line(replay(catalog, at(2026, 1, 1), events, at(2026, 2, 1), settings({ firstMonth: "prorated" })), "2026-01")).toMatchObject({
        feeCents: 645, // 20000 × 1 / 31 = 645.16
        proration: { days: 1, daysInMonth: 31 },
      });
    });
  });
});

describe("running estimate", () => {
  it("shows the open month's charges before any close", () => {
    const m = createProfileModel(catalog, at(2026, 1, 1), settings({ overagesEnabled: true }));
    applyEvent(m, { type: "assign-user", at: at(2026, 1, 2), userId: "alice", tier: "pro" });
    applyEvent(m, { type: "use", at: at(2026, 1, 3), userId: "alice", creditsCc: cc(1001.5) });
    expect(runningCharges(m)).toEqual([
      { userId: "alice", periodId: "2026-01", feeTier: "pro", feeCents: 2000, proration: null, allowanceCc: cc(1000), includedCc: cc(1000), overageCc: 150, overageCents: 6, unbilledCc: 0 },
    ]);
  });
});
