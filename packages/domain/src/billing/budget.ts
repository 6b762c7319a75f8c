import type { Catalog } from "../catalog/catalog";
import { overageCostCents } from "./charges";
import { budgetRoomCenticredits } from "../usage/limits";

/**
 * The period's overage money against the profile's monthly budget (DESIGN.md §2, "Overages and caps";
 * edge case 6). Two figures, on purpose:
 * - `overageCents`: what the overage billable so far comes to, computed exactly over the whole profile
 *   and rounded half-up once (the invoice's total of lines rounds per line, so it may differ by a few cents);
 * - `budgetUsedCc`: the overage the budget has counted (accepted this period; a later upgrade's
 *   re-rating gives none of it back), which is what stops overage when it reaches the budget.
 */
export interface BudgetStatus {
  overageCc: number;
  overageCents: number;
  /** The profile's monthly overage budget; null: none. */
  budgetCents: number | null;
  budgetUsedCc: number;
  /** budgetUsedCc as money, exact and rounded half-up once. */
  budgetUsedCents: number;
  /** Centicredits of overage the budget still admits; null: no budget. */
  budgetLeftCc: number | null;
  budgetReached: boolean;
}

export function budgetStatus(catalog: Catalog, input: { overageCc: number; budgetCents: number | null; budgetUsedCc: number }): BudgetStatus {
  const rate = catalog.overageCentsPerCredit;
  const budgetLeftCc = budgetRoomCenticredits(input.budgetCents, input.budgetUsedCc, rate);
  return {
    overageCc: input.overageCc,
    overageCents: overageCostCents(catalog, input.overageCc),
    budgetCents: input.budgetCents,
    budgetUsedCc: input.budgetUsedCc,
    budgetUsedCents: overageCostCents(catalog, input.budgetUsedCc),
    budgetLeftCc,
    budgetReached: budgetLeftCc === 0,
  };
}

/**
 * A monthly budget in money as the credits of overage it buys at the catalog's rate, rounded down
 * (what the console shows beside a budget: "$100.00 buys 2,500 credits of overage").
 */
export function budgetInCenticredits(catalog: Catalog, budgetCents: number): number {
  return budgetRoomCenticredits(budgetCents, 0, catalog.overageCentsPerCredit) ?? 0;
}
