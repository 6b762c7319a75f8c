import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { forecastProfile, type ProfileForecast, type ProfileSeat } from "./profile";

const now = new Date(Date.UTC(2026, 0, 8, 12)); // 23.5 days left in January
const seats: ProfileSeat[] = [
  // overage from 2 days on (20,000 cc of allowance left at 10,000 a day), no cap
  { burnCcPerDay: 10_000, allowanceLeftCc: 20_000, overageAllowed: true, capRoomCc: null },
  // in overage now, 8,000 cc of cap left at 4,000 a day: done in 2 days
  { burnCcPerDay: 4_000, allowanceLeftCc: 0, overageAllowed: true, capRoomCc: 8_000 },
  // overage off: adds burn, never overage
  { burnCcPerDay: 3_000, allowanceLeftCc: 0, overageAllowed: false, capRoomCc: null },
  { burnCcPerDay: 0, allowanceLeftCc: 100_000, overageAllowed: true, capRoomCc: null },
];

describe("forecastProfile: the budget's run-out instant and the month's projected overage (issue 15, Forecasts)", () => {
  it.each<[string, Omit<Parameters<typeof forecastProfile>[0], "catalog" | "now">, ProfileForecast]>([
    [
      // $10 budget, 5,000 cc counted ($2) → 20,000 cc left. 8,000 by day 2 (second seat), then 12,000 at
      // 10,000 a day: 1.2 days more → 3.2 days after now = Jan 11 16:48.
      "a $10 budget with $2 used runs out on the 11th at 16:48; the projection stops at the budget",
      { seats, budgetCents: 1_000, budgetUsedCc: 5_000, overageCc: 5_000 },
      {
        seats: 4,
        burnCcPerDay: 17_000,
        budgetRunsOutAt: Date.UTC(2026, 0, 11, 16, 48),
        budgetRunsOutOn: "2026-01-11",
        projectedOverageCc: 25_000, // 5,000 + the 20,000 the budget admits
        projectedOverageCentsEstimate: 1_000,
      },
    ],
    [
      // first seat: 235,000 by the end − 20,000 of allowance = 215,000; second: its cap's 8,000
      "no budget: every seat's overage to the month's end, within caps",
      { seats, budgetCents: null, budgetUsedCc: 0, overageCc: 5_000 },
      { seats: 4, burnCcPerDay: 17_000, budgetRunsOutAt: null, budgetRunsOutOn: null, projectedOverageCc: 228_000, projectedOverageCentsEstimate: 9_120 },
    ],
    [
      "a budget already used up: today, and no more overage projected",
      { seats, budgetCents: 1_000, budgetUsedCc: 25_000, overageCc: 25_000 },
      { seats: 4, burnCcPerDay: 17_000, budgetRunsOutAt: now.getTime(), budgetRunsOutOn: "2026-01-08", projectedOverageCc: 25_000, projectedOverageCentsEstimate: 1_000 },
    ],
    [
      "a budget the rates never reach this month",
      { seats, budgetCents: 1_000_000, budgetUsedCc: 0, overageCc: 0 },
      { seats: 4, burnCcPerDay: 17_000, budgetRunsOutAt: null, budgetRunsOutOn: null, projectedOverageCc: 223_000, projectedOverageCentsEstimate: 8_920 },
    ],
    [
      "no seats",
      { seats: [], budgetCents: 100, budgetUsedCc: 0, overageCc: 0 },
      { seats: 0, burnCcPerDay: 0, budgetRunsOutAt: null, budgetRunsOutOn: null, projectedOverageCc: 0, projectedOverageCentsEstimate: 0 },
    ],
    [
      // 13 cc of overage is 0.52 cents: rounded once, half-up, for the profile
      "a seat whose allowance outlasts the month adds nothing; money rounded once",
      { seats: [{ burnCcPerDay: 100, allowanceLeftCc: 50_000, overageAllowed: true, capRoomCc: null }], budgetCents: null, budgetUsedCc: 13, overageCc: 13 },
      { seats: 1, burnCcPerDay: 100, budgetRunsOutAt: null, budgetRunsOutOn: null, projectedOverageCc: 13, projectedOverageCentsEstimate: 1 },
    ],
  ])("%s", (_, input, expected) => {
    expect(forecastProfile({ catalog, now, ...input })).toEqual(expected);
  });
});
