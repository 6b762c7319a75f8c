import { describe, expect, it } from "vitest";
import { openLedger } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { Subscription } from "../subscription/subscription";
import { periodOf } from "../time/period";
import { recordUsage } from "./record";
import type { OverageLimits } from "./split";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const jan = periodOf(now);
const pending: Subscription = { tier: "pro", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null };
const active: Subscription = { ...pending, status: "active", activatedAt: new Date(Date.UTC(2025, 11, 1)), lastActiveAt: new Date(Date.UTC(2026, 0, 2)) };
const limits = (over: Partial<OverageLimits> = {}): OverageLimits => ({ allowed: true, userCap: "unlimited", budgetCents: null, profileOverageCc: 0, overageCentsPerCredit: 4, ...over });
const ledgerAt = (includedCc: number, overageCc = 0) => ({ ...openLedger(jan, active), includedCc, overageCc });

describe("recordUsage (DESIGN.md §2, Usage)", () => {
  it("the first event of a Pending user activates them and opens their paid month; every event moves last active", () => {
    const r = recordUsage({ catalog, stored: pending, ledger: openLedger(jan, null), creditsCc: 150, occurredAt: now, limits: limits() });
    expect(r).toMatchObject({
      accepted: true,
      activated: true,
      subscription: { status: "active", activatedAt: now, lastActiveAt: now },
      ledger: { feeTier: "pro", firstActivatedAt: now, includedCc: 150 },
      allowanceCc: 100_000,
      notices: [],
    });
  });

  it.each([
    ["no subscription", null, "not-subscribed"],
    ["access ended", { ...active, status: "canceled" as const, accessEndsAt: now }, "access-ended"],
  ])("refuses an event with %s", (_, stored, reason) => {
    expect(recordUsage({ catalog, stored, ledger: openLedger(jan, null), creditsCc: 1, occurredAt: now, limits: limits() })).toEqual({ accepted: false, reason });
  });

  it.each([
    ["crossing 80% of the allowance", ledgerAt(79_999), 1, ["allowance-80"]],
    ["not quite 80%", ledgerAt(79_998), 1, []],
    ["from under 80% straight past 100% into overage", ledgerAt(10_000), 95_000, ["allowance-80", "allowance-100", "overage-started"]],
    ["exactly to 100%", ledgerAt(99_000), 1_000, ["allowance-100"]],
    ["more overage after it started", ledgerAt(100_000, 10), 5, []],
  ])("notices: %s", (_, ledger, creditsCc, notices) => {
    const r = recordUsage({ catalog, stored: active, ledger, creditsCc, occurredAt: now, limits: limits() });
    expect(r.accepted && r.notices).toEqual(notices);
  });

  it("notices: reaching the cap, exactly or by being stopped", () => {
    const exactly = recordUsage({ catalog, stored: active, ledger: ledgerAt(100_000, 400), creditsCc: 100, occurredAt: now, limits: limits({ userCap: 500 }) });
    expect(exactly.accepted && [exactly.split, exactly.notices]).toEqual([{ includedCc: 0, overageCc: 100, unbilledCc: 0, stoppedBy: null }, ["cap-reached"]]);
    const stopped = recordUsage({ catalog, stored: active, ledger: ledgerAt(100_000, 400), creditsCc: 300, occurredAt: now, limits: limits({ userCap: 500 }) });
    expect(stopped.accepted && stopped.notices).toEqual(["cap-reached"]);
    // Once reached, later events stopped by the cap reach nothing new.
    const after = recordUsage({ catalog, stored: active, ledger: ledgerAt(100_000, 500), creditsCc: 10, occurredAt: now, limits: limits({ userCap: 500 }) });
    expect(after.accepted && [after.split.stoppedBy, after.notices]).toEqual(["user-cap-reached", []]);
    const zero = recordUsage({ catalog, stored: active, ledger: ledgerAt(100_000), creditsCc: 10, occurredAt: now, limits: limits({ userCap: 0 }) });
    expect(zero.accepted && zero.notices).toEqual(["cap-reached"]);
    const off = recordUsage({ catalog, stored: active, ledger: ledgerAt(100_000), creditsCc: 300, occurredAt: now, limits: limits({ allowed: false }) });
    expect(off.accepted && off.notices).toEqual([]);
  });
});
