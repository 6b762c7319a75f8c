import { allowanceOf, type MonthLedger } from "../billing/ledger";
import type { Catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { inForce, type Subscription } from "../subscription/subscription";
import { periodOf } from "../time/period";
import { capRoomCenticredits, type Cap } from "../usage/limits";
import { forecastDay } from "./burn";
import { neverReached, reachedAt } from "./run-out";

/** The limit that blocks a user first at their burn rate (issue 15, Forecasts). */
export const stopReasons = ["allowance", "cap", "budget"] as const;
export type StopReason = (typeof stopReasons)[number];

/** What the forecast of one seat starts from: the month's ledger as it stands, the limits in force, the rate. */
export interface SeatBasis {
  tier: TierId;
  burnCcPerDay: number;
  allowanceCc: number;
  /** Allowance not yet used (neverReached below 0). */
  allowanceLeftCc: number;
  /** Overage accepted so far this period. */
  overageCc: number;
  overageAllowed: boolean;
  /** Overage the user's cap still admits; null: no cap. */
  capRoomCc: number | null;
}

/**
 * A seat's basis at `now` (DESIGN.md §2 "Overages and caps", edge case 4): the allowance of the tier that sets
 * the fee (or the current tier's, neverReached Active yet), what the ledger has used of it, and the cap in force
 * as the domain resolves it. null: no subscription in force at `now` (ended), so nothing to forecast.
 */
export function seatBasis(input: {
  catalog: Catalog;
  subscription: Subscription;
  /** The ledger of `now`'s period (see ledgerFor). */
  ledger: MonthLedger;
  burnCcPerDay: number;
  overageAllowed: boolean;
  userCap: Cap;
  now: Date;
}): SeatBasis | null {
  const sub = inForce(input.subscription, input.now);
  if (!sub) return null;
  const allowanceCc = allowanceOf(input.catalog, input.ledger, sub.tier);
  return {
    tier: sub.tier,
    burnCcPerDay: input.burnCcPerDay,
    allowanceCc,
    allowanceLeftCc: Math.max(0, allowanceCc - input.ledger.includedCc),
    overageCc: input.ledger.overageCc,
    overageAllowed: input.overageAllowed,
    capRoomCc: capRoomCenticredits(input.userCap, input.ledger.overageCc),
  };
}

export interface SeatForecast {
  burnCcPerDay: number;
  /** When the allowance is used up (epoch ms; `now` if it already is), or null: not in this period. */
  allowanceRunsOutAt: number | null;
  /** Its UTC day, "YYYY-MM-DD"; already used up: the day of `now`. */
  allowanceRunsOutOn: string | null;
  capRunsOutAt: number | null;
  capRunsOutOn: string | null;
  /** The day the user would be blocked, and by which limit; null: neverReached in this period. */
  accessStopsAt: number | null;
  accessStopsOn: string | null;
  stopReason: StopReason | null;
}

/**
 * One seat's run-out days at its burn rate, consumed evenly from `now` (issue 15, Forecasts). The split of
 * DESIGN.md §2 applies to the projection as to an event: the allowance first, then overage up to the lowest
 * of the cap and the budget left. So the user is blocked
 * - when the allowance runs out, if overage is not allowed for them (`allowance`);
 * - else when their cap is used (`cap`), or when they need overage after the profile's budget ran out
 *   (`budget`), whichever comes first; at an equal instant the cap, as the entitlement check says (edge case 7).
 * `budgetRunsOutAt` is the profile's (forecastProfile); null: no budget, or not in this period.
 * Days past the period's end are null: the allowance resets on the 1st.
 */
export function forecastSeat(basis: SeatBasis, now: Date, budgetRunsOutAt: number | null): SeatForecast {
  const nowMs = now.getTime();
  const end = periodOf(now).end.getTime();
  const rate = basis.burnCcPerDay;
  const within = (t: number) => (t < end ? t : null);
  const allowanceAt = reachedAt(nowMs, basis.allowanceLeftCc, rate);
  const capAt = basis.capRoomCc === null ? neverReached : reachedAt(nowMs, basis.allowanceLeftCc + basis.capRoomCc, rate);
  let stopAt = neverReached;
  let stopReason: StopReason | null = null;
  if (!basis.overageAllowed) {
    stopAt = allowanceAt;
    stopReason = "allowance";
  } else {
    const budgetAt = budgetRunsOutAt === null ? neverReached : Math.max(allowanceAt, budgetRunsOutAt);
    stopAt = Math.min(capAt, budgetAt);
    stopReason = capAt <= budgetAt ? "cap" : "budget";
  }
  const a = within(allowanceAt);
  const c = basis.capRoomCc === null ? null : within(capAt);
  const s = within(stopAt);
  return {
    burnCcPerDay: rate,
    allowanceRunsOutAt: a,
    allowanceRunsOutOn: a === null ? null : forecastDay(a),
    capRunsOutAt: c,
    capRunsOutOn: c === null ? null : forecastDay(c),
    accessStopsAt: s,
    accessStopsOn: s === null ? null : forecastDay(s),
    stopReason: s === null ? null : stopReason,
  };
}
