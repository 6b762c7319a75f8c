import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { budgetInCenticredits, budgetStatus, type BudgetStatus } from "./budget";

describe("budgetStatus: the month's overage money against the profile budget (DESIGN.md §2 Overages and caps; edge case 6)", () => {
  it.each<[string, { overageCc: number; budgetCents: number | null; budgetUsedCc: number }, BudgetStatus]>([
    [
      "no budget: nothing left to count, never reached",
      { overageCc: 150, budgetCents: null, budgetUsedCc: 150 },
      { overageCc: 150, overageCents: 6, budgetCents: null, budgetUsedCc: 150, budgetUsedCents: 6, budgetLeftCc: null, budgetReached: false },
    ],
    [
      "nothing used: the whole budget left ($1.00 = 25 credits at $0.04)",
      { overageCc: 0, budgetCents: 100, budgetUsedCc: 0 },
      { overageCc: 0, overageCents: 0, budgetCents: 100, budgetUsedCc: 0, budgetUsedCents: 0, budgetLeftCc: 2_500, budgetReached: false },
    ],
    [
      "exact, not rounded: 13 cc is 0.52 cents, shown as 1 cent, yet a 1-cent budget still admits 12 cc",
      { overageCc: 13, budgetCents: 1, budgetUsedCc: 13 },
      { overageCc: 13, overageCents: 1, budgetCents: 1, budgetUsedCc: 13, budgetUsedCents: 1, budgetLeftCc: 12, budgetReached: false },
    ],
    [
      "12 cc is 0.48 cents: rounded half-up once to 0",
      { overageCc: 12, budgetCents: 100, budgetUsedCc: 12 },
      { overageCc: 12, overageCents: 0, budgetCents: 100, budgetUsedCc: 12, budgetUsedCents: 0, budgetLeftCc: 2_488, budgetReached: false },
    ],
    [
      "reached exactly: 2,500 cc is $1.00 of a $1.00 budget",
      { overageCc: 2_500, budgetCents: 100, budgetUsedCc: 2_500 },
      { overageCc: 2_500, overageCents: 100, budgetCents: 100, budgetUsedCc: 2_500, budgetUsedCents: 100, budgetLeftCc: 0, budgetReached: true },
    ],
    [
      "a budget lowered below what was accepted: reached, nothing taken back",
      { overageCc: 2_500, budgetCents: 50, budgetUsedCc: 2_500 },
      { overageCc: 2_500, overageCents: 100, budgetCents: 50, budgetUsedCc: 2_500, budgetUsedCents: 100, budgetLeftCc: 0, budgetReached: true },
    ],
    [
      "a budget of 0: reached before any overage",
      { overageCc: 0, budgetCents: 0, budgetUsedCc: 0 },
      { overageCc: 0, overageCents: 0, budgetCents: 0, budgetUsedCc: 0, budgetUsedCents: 0, budgetLeftCc: 0, budgetReached: true },
    ],
    [
      "an upgrade moved the overage back into the allowance: nothing billable, the budget keeps what it counted",
      { overageCc: 0, budgetCents: 100, budgetUsedCc: 2_000 },
      { overageCc: 0, overageCents: 0, budgetCents: 100, budgetUsedCc: 2_000, budgetUsedCents: 80, budgetLeftCc: 500, budgetReached: false },
    ],
  ])("%s", (_, input, expected) => {
    expect(budgetStatus(catalog, input)).toEqual(expected);
  });

  it("the rate comes from the catalog: 7 cents per credit, 150 cc = 10.5 cents → 11", () => {
    expect(budgetStatus({ ...catalog, overageCentsPerCredit: 7 }, { overageCc: 150, budgetCents: 100, budgetUsedCc: 150 })).toEqual({
      overageCc: 150, overageCents: 11, budgetCents: 100, budgetUsedCc: 150, budgetUsedCents: 11, budgetLeftCc: 1_278, budgetReached: false,
    });
  });
});

describe("budgetInCenticredits: what a budget buys in overage, rounded down", () => {
  it.each<[string, number, number, number]>([
    ["$100.00 buys 2,500 credits at $0.04", 10_000, 4, 250_000],
    ["1 cent buys 0.25 credit", 1, 4, 25],
    ["$0 buys nothing", 0, 4, 0],
    ["3 cents at 7 cents per credit: 42.86 cc, rounded down to 42", 3, 7, 42],
  ])("%s", (_, budgetCents, rate, expected) => {
    expect(budgetInCenticredits({ ...catalog, overageCentsPerCredit: rate }, budgetCents)).toBe(expected);
  });
});
