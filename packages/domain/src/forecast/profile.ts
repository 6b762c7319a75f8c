import type { Catalog } from "../catalog/catalog";
import { overageCostCents } from "../billing/charges";
import { periodOf } from "../time/period";
import { budgetRoomCenticredits } from "../usage/limits";
import { forecastMsPerDay, forecastDay } from "./burn";
import { neverReached, reachedAt, usedBy } from "./run-out";
import type { SeatBasis } from "./seat";

/** The seat's figures the profile's forecast needs (a SeatBasis, or the same fields kept compactly). */
export type ProfileSeat = Pick<SeatBasis, "burnCcPerDay" | "allowanceLeftCc" | "overageAllowed" | "capRoomCc">;

export interface ProfileForecast {
  seats: number;
  /** The seats' burn rates added up, hundredths of a credit per day. */
  burnCcPerDay: number;
  /** When the monthly budget runs out at these rates (epoch ms; `now` if it already has); null: no budget, or not this period. */
  budgetRunsOutAt: number | null;
  budgetRunsOutOn: string | null;
  /** Overage billable so far plus what the rates add by the period's end, within each cap and the budget left. */
  projectedOverageCc: number;
  /** Its money: exact, rounded half-up once for the profile (as budgetStatus rounds), an estimate. */
  projectedOverageCentsEstimate: number;
}

/**
 * A profile's forecast for the rest of `now`'s period (issue 15, Forecasts). Each seat that may take overage
 * adds it at its burn rate from the moment its allowance is used up until its cap is (DESIGN.md §2: the
 * allowance first, then overage up to the cap); the budget runs out when the sum reaches what it still
 * admits (budgetRoomCenticredits, exact money, edge case 6). The sum is piecewise linear, so one sweep over
 * the seats' start and end instants finds the crossing exactly (to the millisecond), in BigInt.
 */
export function forecastProfile(input: {
  catalog: Catalog;
  seats: Iterable<ProfileSeat>;
  now: Date;
  /** The profile's monthly budget; null: none. */
  budgetCents: number | null;
  /** Overage the budget has counted this period (profile_months). */
  budgetUsedCc: number;
  /** Overage billable so far this period, all seats (the ledgers' sum). */
  overageCc: number;
}): ProfileForecast {
  const nowMs = input.now.getTime();
  const end = periodOf(input.now).end.getTime();
  const room = budgetRoomCenticredits(input.budgetCents, input.budgetUsedCc, input.catalog.overageCentsPerCredit);
  // Slope changes: at each instant, the burn rate (cc/day) of the seats in overage changes by `delta`.
  const changes: { at: number; delta: number }[] = [];
  let seats = 0;
  let burn = 0;
  let added = 0;
  for (const s of input.seats) {
    seats++;
    burn += s.burnCcPerDay;
    if (!s.overageAllowed || s.burnCcPerDay <= 0) continue;
    const from = reachedAt(nowMs, s.allowanceLeftCc, s.burnCcPerDay);
    if (from >= end) continue;
    const to = s.capRoomCc === null ? neverReached : reachedAt(nowMs, s.allowanceLeftCc + s.capRoomCc, s.burnCcPerDay);
    const stop = Math.min(to, end);
    const overage = Math.max(0, usedBy(nowMs, end, s.burnCcPerDay) - s.allowanceLeftCc);
    added += s.capRoomCc === null ? overage : Math.min(s.capRoomCc, overage);
    if (stop <= from) continue;
    changes.push({ at: from, delta: s.burnCcPerDay }, { at: stop, delta: -s.burnCcPerDay });
  }
  const budgetAt = room === null ? null : room === 0 ? nowMs : crossing(changes, room, end);
  const projectedOverageCc = input.overageCc + (room === null ? added : Math.min(added, room));
  return {
    seats,
    burnCcPerDay: burn,
    budgetRunsOutAt: budgetAt,
    budgetRunsOutOn: budgetAt === null ? null : forecastDay(budgetAt),
    projectedOverageCc,
    projectedOverageCentsEstimate: overageCostCents(input.catalog, projectedOverageCc),
  };
}

/** The first instant before `end` at which the seats' overage adds up to `roomCc`; null: not before `end`. */
function crossing(changes: { at: number; delta: number }[], roomCc: number, end: number): number | null {
  changes.sort((a, b) => a.at - b.at);
  const target = BigInt(roomCc) * BigInt(forecastMsPerDay);
  let acc = 0n; // cc × ms/day accumulated so far
  let slope = 0n; // cc per day
  let t = changes[0]?.at ?? end;
  for (let i = 0; i <= changes.length; i++) {
    const next = i < changes.length ? changes[i]!.at : end;
    if (slope > 0n && next > t) {
      const gain = slope * BigInt(next - t);
      if (acc + gain >= target) {
        const at = t + Number((target - acc + slope - 1n) / slope);
        return at < end ? at : null;
      }
      acc += gain;
    }
    t = next;
    if (i < changes.length) slope += BigInt(changes[i]!.delta);
  }
  return null;
}
