import { describe, expect, it } from "vitest";
import type { FirstMonthMode } from "../billing/first-month";
import { openLedger, type MonthLedger } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { periodOf } from "../time/period";
import { activate, refusal, type Activation } from "./activate";
import type { Subscription } from "./subscription";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const jan = periodOf(now);
const feb1 = new Date(Date.UTC(2026, 1, 1));
const pending: Subscription = { tier: "pro_plus", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null };
const active: Subscription = { ...pending, status: "active", activatedAt: new Date(Date.UTC(2025, 11, 3)), lastActiveAt: new Date(Date.UTC(2026, 0, 7)) };
const activeLedger: MonthLedger = { ...openLedger(jan, active), includedCc: 500 };

describe("activate: the user signed in to the tool (DESIGN.md §2 Active; edge case 12)", () => {
  it.each<[string, FirstMonthMode, boolean]>([
    ["under firstMonth full: Active, the paid month begins, priced in full", "full", false],
    ["under firstMonth prorated: Active, the paid month begins, marked prorated", "prorated", true],
  ])("a Pending user %s", (_, firstMonth, firstMonthProrated) => {
    expect(activate(catalog, pending, openLedger(jan, null), now, firstMonth)).toEqual<Activation>({
      subscription: { ...pending, status: "active", activatedAt: now, lastActiveAt: now },
      ledger: { periodId: "2026-01", feeTier: "pro_plus", activeAtStart: false, firstActivatedAt: now, firstMonthProrated, includedCc: 0, overageCc: 0, unbilledCc: 0 },
      activated: true,
    });
  });

  it.each<[string, Subscription, Subscription]>([
    ["an Active user: only last active moves; the ledger is untouched", active, { ...active, lastActiveAt: now }],
    [
      "a Canceled user with access until the month's end: stays Canceled, last active moves",
      { ...active, status: "canceled", accessEndsAt: feb1 },
      { ...active, status: "canceled", accessEndsAt: feb1, lastActiveAt: now },
    ],
    [
      "a sign-in older than the last activity does not move last active back",
      { ...active, lastActiveAt: new Date(Date.UTC(2026, 0, 9)) },
      { ...active, lastActiveAt: new Date(Date.UTC(2026, 0, 9)) },
    ],
    [
      "a downgrade fallen due is in force at the sign-in",
      { ...active, scheduledTier: "pro", scheduledAt: new Date(Date.UTC(2026, 0, 1)) },
      { ...active, tier: "pro", lastActiveAt: now },
    ],
  ])("%s", (_, stored, subscription) => {
    expect(activate(catalog, stored, activeLedger, now, "prorated")).toEqual<Activation>({ subscription, ledger: activeLedger, activated: false });
  });

  it.each<[string, Subscription | null, string, object]>([
    ["no subscription: NOT_SUBSCRIBED", null, "userId", { code: "NOT_SUBSCRIBED", field: "userId", message: "userId: they have no subscription in this profile" }],
    [
      "access ended (edge case 13): ACCESS_ENDED with when it ended",
      { ...active, status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 5, 9)) },
      "userId",
      { code: "ACCESS_ENDED", field: "userId", message: "userId: their access ended at 2026-01-05T09:00:00.000Z" },
    ],
    [
      "access ending exactly at the sign-in: ACCESS_ENDED, naming the field it was given",
      { ...active, status: "canceled", accessEndsAt: now },
      "externalId",
      { code: "ACCESS_ENDED", field: "externalId", message: "externalId: their access ended at 2026-01-08T12:00:00.000Z" },
    ],
  ])("refuses %s", (_, stored, field, error) => {
    expect(() => activate(catalog, stored, activeLedger, now, "full", field)).toThrow(expect.objectContaining({ name: "DomainError", ...error }));
  });

  it("names userId by default", () => {
    expect(() => activate(catalog, null, activeLedger, now, "full")).toThrow(expect.objectContaining({ code: "NOT_SUBSCRIBED", field: "userId" }));
  });
});

describe("refusal: why a user without a subscription in force is refused (edge cases 13 and 16)", () => {
  it.each<[string, Subscription | null, object]>([
    ["none", null, { code: "NOT_SUBSCRIBED", field: "userId", message: "userId: they have no subscription in this profile" }],
    ["ended", { ...active, status: "canceled", accessEndsAt: feb1 }, { code: "ACCESS_ENDED", field: "userId", message: "userId: their access ended at 2026-02-01T00:00:00.000Z" }],
    ["Canceled without an access end (nothing to say when): NOT_SUBSCRIBED", { ...active, status: "canceled", accessEndsAt: null }, { code: "NOT_SUBSCRIBED", field: "userId" }],
  ])("%s", (_, stored, error) => {
    expect(refusal(stored, "userId")).toEqual(expect.objectContaining({ name: "DomainError", ...error }));
  });
});
