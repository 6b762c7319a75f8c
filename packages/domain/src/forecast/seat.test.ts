import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { MonthLedger } from "../billing/ledger";
import type { Subscription } from "../subscription/subscription";
import { forecastSeat, seatBasis, type SeatBasis, type SeatForecast } from "./seat";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const at = (d: number, h = 12, min = 0) => Date.UTC(2026, 0, d, h, min);
const ledger = (over: Partial<MonthLedger> = {}): MonthLedger => ({
  periodId: "2026-01",
  feeTier: "pro",
  activeAtStart: true,
  firstActivatedAt: null,
  firstMonthProrated: false,
  includedCc: 0,
  overageCc: 0,
  unbilledCc: 0,
  ...over,
});
const sub = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "pro",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2025, 11, 1)),
  lastActiveAt: null,
  ...over,
});

describe("seatBasis: the ledger as it stands and the limits in force (DESIGN.md §2, edge case 4)", () => {
  it.each<[string, Parameters<typeof seatBasis>[0], SeatBasis | null]>([
    [
      "Pro, half the allowance used, a 100-credit cap with 20 used",
      { catalog, subscription: sub(), ledger: ledger({ includedCc: 50_000, overageCc: 0 }), burnCcPerDay: 5_000, overageAllowed: true, userCap: 10_000, now },
      { tier: "pro", burnCcPerDay: 5_000, allowanceCc: 100_000, allowanceLeftCc: 50_000, overageCc: 0, overageAllowed: true, capRoomCc: 10_000 },
    ],
    [
      "allowance used and overage taken: nothing left, the cap's room what is left of it",
      { catalog, subscription: sub(), ledger: ledger({ includedCc: 100_000, overageCc: 2_000 }), burnCcPerDay: 700, overageAllowed: true, userCap: 5_000, now },
      { tier: "pro", burnCcPerDay: 700, allowanceCc: 100_000, allowanceLeftCc: 0, overageCc: 2_000, overageAllowed: true, capRoomCc: 3_000 },
    ],
    [
      "the fee tier sets the allowance: upgraded to Power then a downgrade scheduled, still Power's",
      { catalog, subscription: sub({ tier: "power", scheduledTier: "pro", scheduledAt: new Date(Date.UTC(2026, 1, 1)) }), ledger: ledger({ feeTier: "power", includedCc: 10 }), burnCcPerDay: 0, overageAllowed: false, userCap: "unlimited", now },
      { tier: "power", burnCcPerDay: 0, allowanceCc: 1_000_000, allowanceLeftCc: 999_990, overageCc: 0, overageAllowed: false, capRoomCc: null },
    ],
    [
      "Pending: the current tier's allowance",
      { catalog, subscription: sub({ tier: "pro_plus", status: "pending", activatedAt: null }), ledger: ledger({ feeTier: null, activeAtStart: false }), burnCcPerDay: 0, overageAllowed: false, userCap: "unlimited", now },
      { tier: "pro_plus", burnCcPerDay: 0, allowanceCc: 200_000, allowanceLeftCc: 200_000, overageCc: 0, overageAllowed: false, capRoomCc: null },
    ],
    [
      "access already ended: nothing to forecast",
      { catalog, subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 5)) }), ledger: ledger(), burnCcPerDay: 100, overageAllowed: false, userCap: "unlimited", now },
      null,
    ],
  ])("%s", (_, input, expected) => {
    expect(seatBasis(input)).toEqual(expected);
  });
});

const basis = (over: Partial<SeatBasis> = {}): SeatBasis => ({
  tier: "pro",
  burnCcPerDay: 5_000,
  allowanceCc: 100_000,
  allowanceLeftCc: 50_000,
  overageCc: 0,
  overageAllowed: false,
  capRoomCc: null,
  ...over,
});
const none = { capRunsOutAt: null, capRunsOutOn: null };

describe("forecastSeat: the day the allowance, the cap or the budget runs out (issue 15, Forecasts)", () => {
  it.each<[string, SeatBasis, number | null, SeatForecast]>([
    [
      "overage off: blocked when the allowance runs out, 10 days on",
      basis(),
      null,
      { burnCcPerDay: 5_000, allowanceRunsOutAt: at(18), allowanceRunsOutOn: "2026-01-18", ...none, accessStopsAt: at(18), accessStopsOn: "2026-01-18", stopReason: "allowance" },
    ],
    [
      "overage on, a 100-credit cap: blocked 2 days after the allowance",
      basis({ overageAllowed: true, capRoomCc: 10_000 }),
      null,
      { burnCcPerDay: 5_000, allowanceRunsOutAt: at(18), allowanceRunsOutOn: "2026-01-18", capRunsOutAt: at(20), capRunsOutOn: "2026-01-20", accessStopsAt: at(20), accessStopsOn: "2026-01-20", stopReason: "cap" },
    ],
    [
      "overage on, no cap, the budget gone on the 15th: blocked the moment they need overage",
      basis({ overageAllowed: true }),
      at(15),
      { burnCcPerDay: 5_000, allowanceRunsOutAt: at(18), allowanceRunsOutOn: "2026-01-18", ...none, accessStopsAt: at(18), accessStopsOn: "2026-01-18", stopReason: "budget" },
    ],
    [
      "overage on, no cap, the budget gone on the 25th",
      basis({ overageAllowed: true }),
      at(25, 3),
      { burnCcPerDay: 5_000, allowanceRunsOutAt: at(18), allowanceRunsOutOn: "2026-01-18", ...none, accessStopsAt: at(25, 3), accessStopsOn: "2026-01-25", stopReason: "budget" },
    ],
    [
      "cap and budget at the same instant: the cap, as the entitlement check orders them",
      basis({ overageAllowed: true, capRoomCc: 10_000 }),
      at(20),
      { burnCcPerDay: 5_000, allowanceRunsOutAt: at(18), allowanceRunsOutOn: "2026-01-18", capRunsOutAt: at(20), capRunsOutOn: "2026-01-20", accessStopsAt: at(20), accessStopsOn: "2026-01-20", stopReason: "cap" },
    ],
    [
      "allowance and cap already used: today, by the cap",
      basis({ allowanceLeftCc: 0, overageCc: 2_000, overageAllowed: true, capRoomCc: 0, burnCcPerDay: 700 }),
      null,
      { burnCcPerDay: 700, allowanceRunsOutAt: now.getTime(), allowanceRunsOutOn: "2026-01-08", capRunsOutAt: now.getTime(), capRunsOutOn: "2026-01-08", accessStopsAt: now.getTime(), accessStopsOn: "2026-01-08", stopReason: "cap" },
    ],
    [
      "nothing burned: never this period",
      basis({ burnCcPerDay: 0, overageAllowed: true, capRoomCc: 10_000 }),
      null,
      { burnCcPerDay: 0, allowanceRunsOutAt: null, allowanceRunsOutOn: null, ...none, accessStopsAt: null, accessStopsOn: null, stopReason: null },
    ],
    [
      "runs out exactly at the period's end (47,000 cc at 2,000 a day, 23.5 days): not this period",
      basis({ burnCcPerDay: 2_000, allowanceLeftCc: 47_000 }),
      null,
      { burnCcPerDay: 2_000, allowanceRunsOutAt: null, allowanceRunsOutOn: null, ...none, accessStopsAt: null, accessStopsOn: null, stopReason: null },
    ],
    [
      "one hundredth less: the last day of the month",
      basis({ burnCcPerDay: 2_000, allowanceLeftCc: 46_999 }),
      null,
      { burnCcPerDay: 2_000, allowanceRunsOutAt: Date.UTC(2026, 1, 1) - 43_200, allowanceRunsOutOn: "2026-01-31", ...none, accessStopsAt: Date.UTC(2026, 1, 1) - 43_200, accessStopsOn: "2026-01-31", stopReason: "allowance" },
    ],
    [
      "the budget already gone while allowance is left: blocked when the allowance runs out, by the budget",
      basis({ overageAllowed: true, capRoomCc: 10_000 }),
      now.getTime(),
      { burnCcPerDay: 5_000, allowanceRunsOutAt: at(18), allowanceRunsOutOn: "2026-01-18", capRunsOutAt: at(20), capRunsOutOn: "2026-01-20", accessStopsAt: at(18), accessStopsOn: "2026-01-18", stopReason: "budget" },
    ],
  ])("%s", (_, b, budgetAt, expected) => {
    expect(forecastSeat(b, now, budgetAt)).toEqual(expected);
  });
});
