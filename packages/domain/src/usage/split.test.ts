import { describe, expect, it } from "vitest";
import { addSplit, emptyCounters, splitEvent, type EventSplit, type OverageLimits, type UsageCounters } from "./split";

/** Pro's allowance: 1,000 credits. */
const allowance = 100_000;
const counters = (over: Partial<UsageCounters> = {}): UsageCounters => ({ ...emptyCounters, ...over });
const limits = (over: Partial<OverageLimits> = {}): OverageLimits => ({
  allowed: true,
  userCap: "unlimited",
  budgetCents: null,
  profileOverageCc: 0,
  overageCentsPerCredit: 4,
  ...over,
});
const allUsed = counters({ includedCc: allowance });

describe("splitEvent (DESIGN.md §2: allowance first, then overage up to the lowest of the user's cap and the budget left, the rest unbilled)", () => {
  it.each<[string, UsageCounters, number, OverageLimits, EventSplit]>([
    ["an event within the allowance is all included", counters({ includedCc: 1_000 }), 500, limits({ allowed: false }), { includedCc: 500, overageCc: 0, unbilledCc: 0, stoppedBy: null }],
    ["an event that exactly uses up the allowance is all included", counters({ includedCc: 99_000 }), 1_000, limits({ allowed: false }), { includedCc: 1_000, overageCc: 0, unbilledCc: 0, stoppedBy: null }],
    ["an event straddling the allowance boundary: the allowance first, the rest overage", counters({ includedCc: 99_900 }), 300, limits(), { includedCc: 100, overageCc: 200, unbilledCc: 0, stoppedBy: null }],
    ["an event straddling the boundary with overage off: the rest is unbilled overshoot", counters({ includedCc: 99_900 }), 300, limits({ allowed: false }), { includedCc: 100, overageCc: 0, unbilledCc: 200, stoppedBy: "allowance-used-overage-off" }],
    ["allowance used and overage off: all unbilled, stopped by the switch", allUsed, 250, limits({ allowed: false }), { includedCc: 0, overageCc: 0, unbilledCc: 250, stoppedBy: "allowance-used-overage-off" }],
    ["overage off stops it even with cap and budget room left", allUsed, 250, limits({ allowed: false, userCap: 10_000, budgetCents: 100_000 }), { includedCc: 0, overageCc: 0, unbilledCc: 250, stoppedBy: "allowance-used-overage-off" }],
    ["overage with no cap and no budget is all accepted", counters({ includedCc: allowance, overageCc: 50_000 }), 40_000, limits(), { includedCc: 0, overageCc: 40_000, unbilledCc: 0, stoppedBy: null }],
    ["the cap is smaller than the budget left: overage up to the cap, stopped by the cap", counters({ includedCc: allowance, overageCc: 400 }), 300, limits({ userCap: 500, budgetCents: 100 }), { includedCc: 0, overageCc: 100, unbilledCc: 200, stoppedBy: "user-cap-reached" }],
    ["the budget left is smaller than the cap: overage up to the budget, stopped by the budget", counters({ includedCc: allowance }), 3_000, limits({ userCap: 10_000, budgetCents: 100, profileOverageCc: 1_000 }), { includedCc: 0, overageCc: 1_500, unbilledCc: 1_500, stoppedBy: "profile-budget-reached" }],
    ["the budget stops it when the user has no cap", counters({ includedCc: allowance }), 3_000, limits({ budgetCents: 100 }), { includedCc: 0, overageCc: 2_500, unbilledCc: 500, stoppedBy: "profile-budget-reached" }],
    ["the cap stops it when the profile has no budget", counters({ includedCc: allowance, overageCc: 100 }), 1_000, limits({ userCap: 600 }), { includedCc: 0, overageCc: 500, unbilledCc: 500, stoppedBy: "user-cap-reached" }],
    ["cap and budget room equal: the cap is named (it is decided first, edge case 7)", counters({ includedCc: allowance }), 3_000, limits({ userCap: 2_500, budgetCents: 100 }), { includedCc: 0, overageCc: 2_500, unbilledCc: 500, stoppedBy: "user-cap-reached" }],
    ["an event that reaches the cap exactly is all accepted, nothing stopped", counters({ includedCc: allowance, overageCc: 400 }), 100, limits({ userCap: 500 }), { includedCc: 0, overageCc: 100, unbilledCc: 0, stoppedBy: null }],
    ["once the cap is reached exactly, the next event is all unbilled", counters({ includedCc: allowance, overageCc: 500 }), 1, limits({ userCap: 500 }), { includedCc: 0, overageCc: 0, unbilledCc: 1, stoppedBy: "user-cap-reached" }],
    ["a cap of 0 admits no overage", allUsed, 10, limits({ userCap: 0 }), { includedCc: 0, overageCc: 0, unbilledCc: 10, stoppedBy: "user-cap-reached" }],
    ["a cap lowered below what was accepted takes nothing back (edge case 6)", counters({ includedCc: allowance, overageCc: 900 }), 10, limits({ userCap: 500 }), { includedCc: 0, overageCc: 0, unbilledCc: 10, stoppedBy: "user-cap-reached" }],
    ["a budget of 0 admits no overage", allUsed, 10, limits({ budgetCents: 0 }), { includedCc: 0, overageCc: 0, unbilledCc: 10, stoppedBy: "profile-budget-reached" }],
    ["the budget counts the whole profile's overage, not only this user's", allUsed, 10, limits({ userCap: 10_000, budgetCents: 100, profileOverageCc: 2_500 }), { includedCc: 0, overageCc: 0, unbilledCc: 10, stoppedBy: "profile-budget-reached" }],
    ["the budget is compared with exact money: 13 cc cost 0.52 cents, a 1-cent budget still admits 12 cc", allUsed, 20, limits({ budgetCents: 1, profileOverageCc: 13 }), { includedCc: 0, overageCc: 12, unbilledCc: 8, stoppedBy: "profile-budget-reached" }],
    ["straddling the allowance into a cap that stops part of the overage", counters({ includedCc: 99_950, overageCc: 0 }), 200, limits({ userCap: 100, budgetCents: 100 }), { includedCc: 50, overageCc: 100, unbilledCc: 50, stoppedBy: "user-cap-reached" }],
    ["an allowance already exceeded in included (never negative room)", counters({ includedCc: 150_000 }), 10, limits({ allowed: false }), { includedCc: 0, overageCc: 0, unbilledCc: 10, stoppedBy: "allowance-used-overage-off" }],
  ])("%s", (_, before, creditsCc, lim, expected) => {
    expect(splitEvent(before, allowance, creditsCc, lim)).toEqual(expected);
  });

  it("every centicredit of an event lands in exactly one bucket", () => {
    const s = splitEvent(counters({ includedCc: 99_990, overageCc: 20 }), allowance, 1_000, limits({ userCap: 100, budgetCents: 100 }));
    expect(s).toEqual({ includedCc: 10, overageCc: 80, unbilledCc: 910, stoppedBy: "user-cap-reached" });
    expect(s.includedCc + s.overageCc + s.unbilledCc).toBe(1_000);
  });
});

describe("addSplit", () => {
  it("adds each bucket of a split to the counters, dropping the stop reason", () => {
    expect(addSplit({ includedCc: 1, overageCc: 20, unbilledCc: 300 }, { includedCc: 4_000, overageCc: 50_000, unbilledCc: 600_000, stoppedBy: "user-cap-reached" })).toEqual({
      includedCc: 4_001,
      overageCc: 50_020,
      unbilledCc: 600_300,
    });
  });

  it("starts from empty counters without changing them", () => {
    expect(addSplit(emptyCounters, { includedCc: 7, overageCc: 0, unbilledCc: 0, stoppedBy: null })).toEqual({ includedCc: 7, overageCc: 0, unbilledCc: 0 });
    expect(emptyCounters).toEqual({ includedCc: 0, overageCc: 0, unbilledCc: 0 });
  });

  it("splitting events one after another fills the allowance, then the cap, then overshoots", () => {
    const lim = limits({ userCap: 1_000 });
    let c = emptyCounters;
    const splits: EventSplit[] = [];
    for (const creditsCc of [60_000, 60_000, 800, 500]) {
      const s = splitEvent(c, allowance, creditsCc, lim);
      splits.push(s);
      c = addSplit(c, s);
    }
    expect(splits).toEqual([
      { includedCc: 60_000, overageCc: 0, unbilledCc: 0, stoppedBy: null },
      { includedCc: 40_000, overageCc: 1_000, unbilledCc: 19_000, stoppedBy: "user-cap-reached" },
      { includedCc: 0, overageCc: 0, unbilledCc: 800, stoppedBy: "user-cap-reached" },
      { includedCc: 0, overageCc: 0, unbilledCc: 500, stoppedBy: "user-cap-reached" },
    ]);
    expect(c).toEqual({ includedCc: 100_000, overageCc: 1_000, unbilledCc: 20_300 });
  });
});
