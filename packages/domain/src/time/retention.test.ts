import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error";
import { isPeriodClosed } from "./grace";
import { previousPeriod } from "./period";
import { firstRetainedPeriod } from "./retention";

const utc = (y: number, m: number, d: number, h = 0, min = 0) => new Date(Date.UTC(y, m, d, h, min));

describe("usage retention: the current month and the N before it are kept", () => {
  it.each<[string, Date, number, string]>([
    ["one month kept: the previous month stays, the one before goes", utc(2026, 2, 15), 1, "2026-02"],
    ["at the first instant of a month the new month counts", utc(2026, 2, 1), 1, "2026-02"],
    ["1 ms before it, the old one does", new Date(Date.UTC(2026, 2, 1) - 1), 1, "2026-01"],
    ["across a year", utc(2026, 0, 10), 2, "2025-11"],
    ["a year kept", utc(2026, 11, 31, 23, 59), 12, "2025-12"],
    ["ten years kept", utc(2026, 5, 1), 120, "2016-06"],
  ])("%s", (_, now, months, first) => {
    expect(firstRetainedPeriod(now, months).id).toBe(first);
  });

  it("never archives a period that may still take late events: the period before the first kept one is past its grace window", () => {
    for (let day = 1; day <= 28; day++) {
      for (const hour of [0, 12, 23]) {
        const now = utc(2026, 2, day, hour);
        const archived = previousPeriod(firstRetainedPeriod(now, 1));
        expect(isPeriodClosed(archived, now)).toBe(true);
      }
    }
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses %s months, naming the field", (months) => {
    expect(() => firstRetainedPeriod(utc(2026, 2, 1), months)).toThrow(DomainError);
    expect(() => firstRetainedPeriod(utc(2026, 2, 1), months)).toThrow(/^retentionMonths: /);
  });
});
