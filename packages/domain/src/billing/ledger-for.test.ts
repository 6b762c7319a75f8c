import { describe, expect, it } from "vitest";
import type { Subscription } from "../subscription/subscription";
import { periodOf } from "../time/period";
import { ledgerFor, openLedger } from "./ledger";

const feb = periodOf(new Date(Date.UTC(2026, 1, 10)));
const sub = (over: Partial<Subscription>): Subscription => ({
  tier: "pro_plus", status: "active", scheduledTier: null, scheduledAt: null, accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2026, 0, 5)), lastActiveAt: null, ...over,
});

describe("ledgerFor: a month's ledger opens from the subscription as it stood at 00:00 on the 1st", () => {
  it("a stored ledger wins", () => {
    const existing = { ...openLedger(feb, null), includedCc: 5 };
    expect(ledgerFor(feb, sub({}), existing)).toBe(existing);
  });
  it("a downgrade scheduled for the 1st is in force at the month's start: the month is charged at the lower tier", () => {
    expect(ledgerFor(feb, sub({ scheduledTier: "pro", scheduledAt: feb.start }), null)).toMatchObject({ feeTier: "pro", activeAtStart: true });
  });
  it("a cancel whose access ended at the 1st opens nothing to charge", () => {
    expect(ledgerFor(feb, sub({ status: "canceled", accessEndsAt: feb.start }), null)).toMatchObject({ feeTier: null, activeAtStart: false });
  });
  it("first activated at or after the month's end (a usage event in the next month): it was Pending, nothing to charge", () => {
    expect(ledgerFor(feb, sub({ activatedAt: feb.end }), null)).toMatchObject({ feeTier: null, activeAtStart: false });
    expect(ledgerFor(feb, sub({ activatedAt: new Date(feb.end.getTime() - 1) }), null)).toMatchObject({ feeTier: "pro_plus", activeAtStart: true });
  });
  it("Pending or no subscription: not Active at the start", () => {
    expect(ledgerFor(feb, sub({ status: "pending", activatedAt: null }), null)).toMatchObject({ feeTier: null, activeAtStart: false });
    expect(ledgerFor(feb, null, null)).toEqual(openLedger(feb, null));
  });
});
