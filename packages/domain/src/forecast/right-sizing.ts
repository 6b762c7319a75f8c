import { overageCostCents } from "../billing/charges";
import { usedOf, type MonthLedger } from "../billing/ledger";
import { inForce, type Subscription } from "../subscription/subscription";
import { getTier, type Catalog, type Tier } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";

export const rightSizingKinds = ["upgrade", "downgrade"] as const;
export type RightSizingKind = (typeof rightSizingKinds)[number];

export interface RightSizingAdvice {
  kind: RightSizingKind;
  fromTier: TierId;
  toTier: TierId;
  /** What the month would cost at each tier: the fee plus the overage, each line rounded as a bill rounds it. */
  costCentsNow: number;
  costCentsAtTier: number;
  savingCentsPerMonth: number;
}

/** A month's cost at one tier for this much billable usage: the price, plus the overage past its allowance (DESIGN.md §2, "Charges"). */
export function monthCostAtTier(catalog: Catalog, tier: Tier, billableCc: number): number {
  return tier.priceCents + overageCostCents(catalog, Math.max(0, billableCc - tier.allowanceCenticredits));
}

/** The catalog's tiers by rank, lowest first (the catalog is data: no tier is named here). */
const byRank = (catalog: Catalog) => [...catalog.tiers].sort((a, b) => a.rank - b.rank);

/**
 * Upgrade saves money (issue 15, Forecasts): at the next tier up, last month's billable usage (allowance and
 * accepted overage; unbilled overshoot costs nothing either way) would have cost less than at the user's
 * tier. The saving is exact: (price + overage now) − (next price + overage still past the next allowance),
 * so it is the overage cost minus the price difference whenever the next allowance covers the usage.
 * null: no higher tier, or no saving.
 */
export function upgradeAdvice(catalog: Catalog, input: { tier: TierId; billableCc: number }): RightSizingAdvice | null {
  const tiers = byRank(catalog);
  const from = getTier(catalog, input.tier);
  const to = tiers.find((t) => t.rank > from.rank);
  if (!to) return null;
  const costCentsNow = monthCostAtTier(catalog, from, input.billableCc);
  const costCentsAtTier = monthCostAtTier(catalog, to, input.billableCc);
  const saving = costCentsNow - costCentsAtTier;
  return saving > 0 ? { kind: "upgrade", fromTier: from.id, toTier: to.id, costCentsNow, costCentsAtTier, savingCentsPerMonth: saving } : null;
}

/**
 * Downgrade saves money (issue 15, Forecasts): the user used less than a lower tier's allowance in each of
 * the months given (the last two complete months), all consumption counted. The advice is the cheapest such
 * tier; the saving is the price difference (no overage arises below the allowance). null: none fits, or
 * fewer than two months.
 */
export function downgradeAdvice(catalog: Catalog, input: { tier: TierId; usedCcByMonth: readonly number[] }): RightSizingAdvice | null {
  if (input.usedCcByMonth.length < 2) return null;
  const from = getTier(catalog, input.tier);
  const peak = Math.max(...input.usedCcByMonth);
  const fits = byRank(catalog).filter((t) => t.rank < from.rank && peak < t.allowanceCenticredits && t.priceCents < from.priceCents);
  const to = fits.reduce<Tier | null>((best, t) => (best === null || t.priceCents < best.priceCents ? t : best), null);
  if (!to) return null;
  return { kind: "downgrade", fromTier: from.id, toTier: to.id, costCentsNow: from.priceCents, costCentsAtTier: to.priceCents, savingCentsPerMonth: from.priceCents - to.priceCents };
}

/**
 * A seat's right-sizing at `now` (issue 15, Forecasts), from the last two complete months' ledgers: only an
 * Active subscription in force is charged, so only it can save; the months must have been charged (a fee
 * tier). Upgrade is judged on the last month's billable usage at the tier in force now; downgrade needs both
 * months and no downgrade already scheduled. The two cannot both hold: usage under a lower allowance has no
 * overage.
 */
export function rightSizingFor(catalog: Catalog, input: { subscription: Subscription; lastMonth: MonthLedger; monthBefore: MonthLedger; now: Date }): RightSizingAdvice | null {
  const sub = inForce(input.subscription, input.now);
  if (!sub || sub.status !== "active" || input.lastMonth.feeTier === null) return null;
  const up = upgradeAdvice(catalog, { tier: sub.tier, billableCc: input.lastMonth.includedCc + input.lastMonth.overageCc });
  if (up) return up;
  if (sub.scheduledTier !== null || input.monthBefore.feeTier === null) return null;
  return downgradeAdvice(catalog, { tier: sub.tier, usedCcByMonth: [usedOf(input.lastMonth), usedOf(input.monthBefore)] });
}
