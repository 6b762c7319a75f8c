import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowanceOf } from "../billing/ledger";
import { defaultCatalog as catalog, getTier } from "../catalog/catalog";
import { tierIds, type TierId } from "../catalog/tier";
import { roundHalfUp } from "../money/round";
import { inForce } from "../subscription/subscription";
import { daysInPeriod, periodOf } from "../time/period";
import { budgetRoomCenticredits, type Cap } from "../usage/limits";
import { advanceTo, applyEvent, createProfileModel, defaultProfileSettings, type ProfileEvent, type ProfileModel, type ProfileSettings } from "./profile-model";

/**
 * Invariants of DESIGN.md §2 over random sequences of assignments, changes, cancellations, identity
 * changes, settings and usage across several months (issue 3, "Property tests").
 */
const start = Date.UTC(2026, 0, 1);
const span = Date.UTC(2026, 4, 1) - start; // four months
const users = ["u0", "u1", "u2", "u3", "u4"];
const groups = ["g0", "g1", "g2"];

const tier = fc.constantFrom<TierId>(...tierIds);
const tierOrNull = fc.option(tier, { nil: null, freq: 3 });
const cap: fc.Arbitrary<Cap> = fc.oneof(fc.constant<Cap>("unlimited"), fc.integer({ min: 0, max: 300_000 }));
const when = fc.integer({ min: 0, max: span - 1 }).map((ms) => new Date(start + ms));
const user = fc.constantFrom(...users);
const group = fc.constantFrom(...groups);

const event: fc.Arbitrary<ProfileEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("assign-user" as const), at: when, userId: user, tier: tierOrNull }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("assign-group" as const), at: when, groupId: group, tier: tierOrNull }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("join-group" as const), at: when, groupId: group, userId: user }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("leave-group" as const), at: when, groupId: group, userId: user }) },
  { weight: 8, arbitrary: fc.record({ type: fc.constant("use" as const), at: when, userId: user, creditsCc: fc.integer({ min: 1, max: 400_000 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom("idp-deactivate" as const, "idp-reactivate" as const, "idp-delete" as const), at: when, userId: user }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("settings" as const),
      at: when,
      settings: fc.record(
        {
          overagesEnabled: fc.boolean(),
          cancelAccess: fc.constantFrom("end-of-month" as const, "immediate" as const),
          firstMonth: fc.constantFrom("full" as const, "prorated" as const),
          defaultCap: fc.option(cap, { nil: null }),
          budgetCents: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: null }),
          userCaps: fc.dictionary(user, cap, { maxKeys: 2 }),
          groupCaps: fc.dictionary(group, cap, { maxKeys: 2 }),
          userSwitches: fc.dictionary(user, fc.constantFrom("inherit" as const, "on" as const, "off" as const), { maxKeys: 2 }),
        },
        { requiredKeys: [] },
      ),
    }),
  },
);

const timeline = fc.array(event, { minLength: 1, maxLength: 60 }).map((es) => [...es].sort((a, b) => a.at.getTime() - b.at.getTime()));
const initialSettings: fc.Arbitrary<ProfileSettings> = fc.record({
  overagesEnabled: fc.boolean(),
  cancelAccess: fc.constantFrom("end-of-month" as const, "immediate" as const),
  firstMonth: fc.constantFrom("full" as const, "prorated" as const),
  defaultCap: fc.option(cap, { nil: null }),
  budgetCents: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: null }),
  userCaps: fc.constant({}),
  groupCaps: fc.constant({}),
  userSwitches: fc.constant({}),
});

/** What the test observes independently of the model's ledgers, per period and user. */
interface Observed {
  highestActiveRank: Map<string, number>;
  activeAtStart: Set<string>;
  firstActiveDay: Map<string, number>;
  acceptedOverageCc: Map<string, number>;
  acceptedCc: Map<string, number>;
  lastActiveRank: Map<string, number>;
  lastAllowance: Map<string, number>;
}
const freshObserved = (): Observed => ({
  highestActiveRank: new Map(),
  activeAtStart: new Set(),
  firstActiveDay: new Map(),
  acceptedOverageCc: new Map(),
  acceptedCc: new Map(),
  lastActiveRank: new Map(),
  lastAllowance: new Map(),
});

function observe(m: ProfileModel, o: Observed, now: Date, atStart: boolean): void {
  for (const [userId, stored] of m.subscriptions) {
    const sub = inForce(stored, now);
    if (!sub || sub.status !== "active") continue;
    const rank = getTier(catalog, sub.tier).rank;
    o.highestActiveRank.set(userId, Math.max(rank, o.highestActiveRank.get(userId) ?? 0));
    if (atStart) o.activeAtStart.add(userId);
    else if (!o.activeAtStart.has(userId) && !o.firstActiveDay.has(userId)) o.firstActiveDay.set(userId, now.getUTCDate());
    // A downgrade never takes effect before the 1st: within a period an Active user's tier never drops.
    const last = o.lastActiveRank.get(userId);
    if (last !== undefined && !atStart) expect(rank, `${userId} dropped tier within ${m.period.id}`).toBeGreaterThanOrEqual(last);
    o.lastActiveRank.set(userId, rank);
  }
  for (const [userId, ledger] of m.ledgers) {
    if (!ledger.feeTier) continue;
    const allowance = allowanceOf(catalog, ledger, ledger.feeTier);
    expect(allowance, `${userId}'s allowance shrank in ${m.period.id}`).toBeGreaterThanOrEqual(o.lastAllowance.get(userId) ?? 0);
    o.lastAllowance.set(userId, allowance);
  }
}

function checkInvoice(m: ProfileModel, o: Observed, settings: ProfileSettings): void {
  const invoice = m.invoices.at(-1)!;
  const period = periodOf(new Date(Date.UTC(Number(invoice.periodId.slice(0, 4)), Number(invoice.periodId.slice(5)) - 1, 1)));
  // One charge per user per profile per month.
  expect(new Set(invoice.lines.map((l) => l.userId)).size).toBe(invoice.lines.length);
  // The total is the sum of its lines; all money is integer cents.
  expect(invoice.totalCents).toBe(invoice.lines.reduce((s, l) => s + l.feeCents + l.overageCents, 0));
  expect(invoice.feesCents + invoice.overageCents).toBe(invoice.totalCents);
  for (const l of invoice.lines) {
    for (const v of [l.feeCents, l.overageCents, l.totalCents]) expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
    // The fee is the full (or prorated) price of the highest tier held while Active.
    const rank = o.highestActiveRank.get(l.userId);
    expect(rank, `${l.userId} charged in ${invoice.periodId} without being Active`).toBeDefined();
    const held = catalog.tiers.find((t) => t.rank === rank)!;
    const firstDay = o.activeAtStart.has(l.userId) ? undefined : o.firstActiveDay.get(l.userId);
    const expected =
      settings.firstMonth === "prorated" && firstDay !== undefined
        ? roundHalfUp(held.priceCents * (daysInPeriod(period) - firstDay + 1), daysInPeriod(period))
        : held.priceCents;
    expect(l.feeTier).toBe(held.id);
    expect(l.feeCents).toBe(expected);
    expect(l.allowanceCc).toBe(held.allowanceCenticredits);
    // Billed overage never exceeds accepted overage; usage is conserved.
    expect(l.overageCc).toBeLessThanOrEqual(o.acceptedOverageCc.get(l.userId) ?? 0);
    expect(l.includedCc + l.overageCc + l.unbilledCc).toBe(o.acceptedCc.get(l.userId) ?? 0);
    expect(l.includedCc).toBeLessThanOrEqual(l.allowanceCc);
  }
  // Everyone who was Active in the month has a line; nobody else does.
  expect(new Set(invoice.lines.map((l) => l.userId))).toEqual(new Set(o.highestActiveRank.keys()));
}

function run(settings: ProfileSettings, events: ProfileEvent[]): void {
  const m = createProfileModel(catalog, new Date(start), settings);
  let o = freshObserved();
  let profileOverage = 0;
  const userOverage = new Map<string, number>();
  const roll = (to: Date) => {
    while (to.getTime() >= m.period.end.getTime()) {
      const closing = m.settings;
      advanceTo(m, m.period.end);
      checkInvoice(m, o, closing);
      o = freshObserved();
      profileOverage = 0;
      userOverage.clear();
      observe(m, o, m.period.start, true);
    }
  };
  for (const e of events) {
    roll(e.at);
    const usesBefore = m.uses.length;
    const settingsBefore = m.settings;
    applyEvent(m, e);
    if (m.uses.length > usesBefore) {
      const u = m.uses.at(-1)!;
      if (u.accepted) {
        // Overage never passes the user's cap or the profile's budget as they stood at the event.
        const before = userOverage.get(u.userId) ?? 0;
        if (u.overageCc > 0 && u.userCap !== "unlimited") expect(before + u.overageCc).toBeLessThanOrEqual(u.userCap);
        const room = budgetRoomCenticredits(settingsBefore.budgetCents, profileOverage, catalog.overageCentsPerCredit);
        if (room !== null) expect(u.overageCc).toBeLessThanOrEqual(room);
        expect(u.includedCc + u.overageCc + u.unbilledCc).toBe((e as { creditsCc: number }).creditsCc);
        userOverage.set(u.userId, before + u.overageCc);
        profileOverage += u.overageCc;
        o.acceptedOverageCc.set(u.userId, (o.acceptedOverageCc.get(u.userId) ?? 0) + u.overageCc);
        o.acceptedCc.set(u.userId, (o.acceptedCc.get(u.userId) ?? 0) + u.includedCc + u.overageCc + u.unbilledCc);
      }
    }
    observe(m, o, e.at, false);
  }
  roll(new Date(start + span));
  expect(m.invoices.map((i) => i.periodId)).toEqual(["2026-01", "2026-02", "2026-03", "2026-04"]);
}

describe("properties of the rules over random months (fast-check)", () => {
  it("one charge per user and month; fee = price of the highest tier held while Active; totals add up; integer cents; no early downgrade; allowance never shrinks; overage within accepted, cap and budget", () => {
    fc.assert(
      fc.property(initialSettings, timeline, (settings, events) => run(settings, events)),
      { numRuns: 1000, seed: 20260108 },
    );
  });

  it("with the default settings (full first month, overage off) nothing is ever billed as overage", () => {
    fc.assert(
      fc.property(timeline.map((es) => es.filter((e) => e.type !== "settings")), (events) => {
        const m = createProfileModel(catalog, new Date(start), defaultProfileSettings);
        for (const e of events) applyEvent(m, e);
        advanceTo(m, new Date(start + span));
        for (const inv of m.invoices) expect(inv.overageCents).toBe(0);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
