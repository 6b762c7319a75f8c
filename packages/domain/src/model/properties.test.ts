import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FirstMonthMode } from "../billing/first-month";
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

/** Every kind of event, at instants from `when`, for people from `user` and groups from `group`. */
const eventOf = (when: fc.Arbitrary<Date>, user: fc.Arbitrary<string>, group: fc.Arbitrary<string>): fc.Arbitrary<ProfileEvent> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant("assign-user" as const), at: when, userId: user, tier: tierOrNull }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant("assign-group" as const), at: when, groupId: group, tier: tierOrNull }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant("join-group" as const), at: when, groupId: group, userId: user }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("leave-group" as const), at: when, groupId: group, userId: user }) },
    { weight: 8, arbitrary: fc.record({ type: fc.constant("use" as const), at: when, userId: user, creditsCc: fc.integer({ min: 1, max: 400_000 }) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant("activate" as const), at: when, userId: user }) },
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
const event = eventOf(when, user, group);

const byTime = (es: ProfileEvent[]) => [...es].sort((a, b) => a.at.getTime() - b.at.getTime());
const timeline = fc.array(event, { minLength: 1, maxLength: 60 }).map(byTime);
/**
 * Two people and one group, many events in six weeks: access lost and regained within one month
 * (edge cases 10 and 11) and settings changed around activations (edge case 12) happen often.
 */
const denseTimeline = fc
  .array(eventOf(fc.integer({ min: 0, max: Date.UTC(2026, 1, 15) - start - 1 }).map((ms) => new Date(start + ms)), fc.constantFrom("u0", "u1"), fc.constant("g0")), {
    minLength: 10,
    maxLength: 40,
  })
  .map(byTime);
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
  /** The profile's firstMonth at the instant the user first became Active in the period (edge case 12). */
  firstMonthAtActivation: Map<string, FirstMonthMode>;
  /** Users who had access (Active, or Canceled with access left) at some instant after the period's start (edge case 10). */
  hadAccess: Set<string>;
  acceptedOverageCc: Map<string, number>;
  acceptedCc: Map<string, number>;
  /** Accepted usage as the month's bill sees it: included, and overage still past the allowance after any upgrade's re-rating. */
  includedCc: Map<string, number>;
  billableOverageCc: Map<string, number>;
  lastActiveRank: Map<string, number>;
  lastAllowance: Map<string, number>;
}
const freshObserved = (): Observed => ({
  highestActiveRank: new Map(),
  activeAtStart: new Set(),
  firstActiveDay: new Map(),
  firstMonthAtActivation: new Map(),
  hadAccess: new Set(),
  acceptedOverageCc: new Map(),
  acceptedCc: new Map(),
  includedCc: new Map(),
  billableOverageCc: new Map(),
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
    else if (!o.activeAtStart.has(userId) && !o.firstActiveDay.has(userId)) {
      o.firstActiveDay.set(userId, now.getUTCDate());
      o.firstMonthAtActivation.set(userId, m.settings.firstMonth);
    }
    // A downgrade never takes effect before the 1st: within a period an Active user's tier never drops.
    const last = o.lastActiveRank.get(userId);
    if (last !== undefined && !atStart) expect(rank, `${userId} dropped tier within ${m.period.id}`).toBeGreaterThanOrEqual(last);
    o.lastActiveRank.set(userId, rank);
  }
  // When the allowance grows (the highest tier held while Active rises), accepted overage moves back into it first.
  for (const [userId, rank] of o.highestActiveRank) {
    const allowance = catalog.tiers.find((t) => t.rank === rank)!.allowanceCenticredits;
    const included = o.includedCc.get(userId) ?? 0;
    const overage = o.billableOverageCc.get(userId) ?? 0;
    const moved = Math.min(overage, Math.max(0, allowance - included));
    o.includedCc.set(userId, included + moved);
    o.billableOverageCc.set(userId, overage - moved);
  }
  for (const [userId, ledger] of m.ledgers) {
    if (!ledger.feeTier) continue;
    const allowance = allowanceOf(catalog, ledger, ledger.feeTier);
    expect(allowance, `${userId}'s allowance shrank in ${m.period.id}`).toBeGreaterThanOrEqual(o.lastAllowance.get(userId) ?? 0);
    o.lastAllowance.set(userId, allowance);
  }
}

function checkInvoice(m: ProfileModel, o: Observed): void {
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
    // Priced with the setting in force when the user became Active, whatever it says later (edge case 12).
    const expected =
      o.firstMonthAtActivation.get(l.userId) === "prorated" && firstDay !== undefined
        ? roundHalfUp(held.priceCents * (daysInPeriod(period) - firstDay + 1), daysInPeriod(period))
        : held.priceCents;
    expect(l.feeTier).toBe(held.id);
    expect(l.feeCents).toBe(expected);
    expect(l.allowanceCc).toBe(held.allowanceCenticredits);
    // Billed overage never exceeds accepted overage; usage is conserved.
    expect(l.overageCc).toBeLessThanOrEqual(o.acceptedOverageCc.get(l.userId) ?? 0);
    expect([l.includedCc, l.overageCc]).toEqual([o.includedCc.get(l.userId) ?? 0, o.billableOverageCc.get(l.userId) ?? 0]);
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
  const roll = (to: Date) => {
    while (to.getTime() >= m.period.end.getTime()) {
      advanceTo(m, m.period.end);
      checkInvoice(m, o);
      o = freshObserved();
      profileOverage = 0;
      observe(m, o, m.period.start, true);
    }
  };
  for (const e of events) {
    roll(e.at);
    const usesBefore = m.uses.length;
    const changesBefore = m.changes.length;
    const settingsBefore = m.settings;
    // Who has had access in this period, seen just before the event. An access that ends at 00:00 on the 1st
    // ends with the old month (edge case 1), so the period's first instant does not count.
    if (e.at.getTime() > m.period.start.getTime()) {
      for (const [userId, stored] of m.subscriptions) {
        const sub = inForce(stored, e.at);
        if (sub && sub.status !== "pending") o.hadAccess.add(userId);
      }
    }
    applyEvent(m, e);
    if (e.type === "idp-deactivate" || e.type === "idp-delete") {
      // A person who left loses access at that instant, even if already Canceled until the month's end (edge case 11).
      const stored = m.subscriptions.get(e.userId);
      expect(stored ? inForce(stored, e.at) : null, `${e.userId} kept access after leaving`).toBeNull();
    }
    for (const c of m.changes.slice(changesBefore)) {
      // Edge case 10: covered again in the month they lost access, they are restored (Active, no new charge), never a new Pending.
      if (c.outcome.kind === "subscribed") expect(o.hadAccess.has(c.userId), `${c.userId} re-subscribed as Pending in ${m.period.id}`).toBe(false);
      if (c.outcome.kind === "restored") {
        expect(o.hadAccess.has(c.userId), `${c.userId} restored without access earlier in ${m.period.id}`).toBe(true);
        expect(m.subscriptions.get(c.userId)).toMatchObject({ status: "active", accessEndsAt: null });
      }
    }
    if (m.uses.length > usesBefore) {
      const u = m.uses.at(-1)!;
      if (u.accepted) {
        // Overage never passes the user's cap (counted on the month's overage still billable: an upgrade that moved
        // it back into the allowance frees the cap, as the bill does) or the profile's budget (counted on all overage
        // accepted in the month, which no re-rating gives back), as they stood at the event.
        const before = o.billableOverageCc.get(u.userId) ?? 0;
        if (u.overageCc > 0 && u.userCap !== "unlimited") expect(before + u.overageCc).toBeLessThanOrEqual(u.userCap);
        const room = budgetRoomCenticredits(settingsBefore.budgetCents, profileOverage, catalog.overageCentsPerCredit);
        if (room !== null) expect(u.overageCc).toBeLessThanOrEqual(room);
        expect(u.includedCc + u.overageCc + u.unbilledCc).toBe((e as { creditsCc: number }).creditsCc);
        o.billableOverageCc.set(u.userId, before + u.overageCc);
        o.includedCc.set(u.userId, (o.includedCc.get(u.userId) ?? 0) + u.includedCc);
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

  it("edge cases 10–12 in dense months: restored, never a new Pending, after access lost in the month; access ends when a person leaves; fee priced by the firstMonth at activation", () => {
    fc.assert(
      fc.property(initialSettings, denseTimeline, (settings, events) => run(settings, events)),
      { numRuns: 500, seed: 20260110 },
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
