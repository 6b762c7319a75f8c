import { describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { auditLog, invoices } from "@seatdesk/db";
import { addMonthsUtc, maxAdvanceMonths } from "../src/clock";
import { advanceSteps } from "../src/routers/clock";
import { callerAs, harnessForFile, makeTenant, rejection, subscribeAt, testNow } from "./harness";
import { createCaller } from "./month-close-caller";

const h = harnessForFile({ resetClock: true });
const at = (iso: string) => new Date(iso);

async function tenant() {
  const t = await makeTenant(h, { users: 3 });
  await subscribeAt(h, t, t.userIds, "pro", testNow);
  return t;
}

describe("the test clock, bounded", () => {
  it("stops at each month's close on the way, then at the destination", () => {
    expect(advanceSteps(at("2026-01-08T12:00:00Z"), at("2026-03-01T00:20:00Z"))).toEqual([at("2026-02-01T00:15:00Z"), at("2026-03-01T00:15:00Z"), at("2026-03-01T00:20:00Z")]);
    expect(advanceSteps(at("2026-01-08T12:00:00Z"), at("2026-01-09T00:00:00Z"))).toEqual([at("2026-01-09T00:00:00Z")]);
    expect(advanceSteps(at("2026-02-01T00:15:00Z"), at("2026-02-01T00:15:00Z"))).toEqual([at("2026-02-01T00:15:00Z")]);
    expect(advanceSteps(testNow, addMonthsUtc(testNow, maxAdvanceMonths))).toHaveLength(maxAdvanceMonths + 1);
  });

  it("refuses a move beyond 24 months (400 naming `to`), changing nothing; exactly 24 months closes each month at its own close, yielding the event loop between months", async () => {
    const t = await tenant();
    const owner = callerAs(h, t.admins.owner);
    const limit = addMonthsUtc(testNow, 24);
    expect(limit).toEqual(at("2028-01-08T12:00:00Z"));
    for (const to of [new Date(limit.getTime() + 1).toISOString(), "9999-12-31T23:59:59Z"]) {
      const e = await rejection(owner.clock.advance({ to }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toBe("to: one move goes at most 24 months ahead (to 2028-01-08T12:00:00.000Z at most); move again from there");
    }
    expect(h.clock.now()).toEqual(testNow);
    expect(await h.database.db.select().from(auditLog).where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "clock.advance")))).toEqual([]);

    // Turns of the event loop while the move runs (the embedded database shares this thread).
    let turns = 0;
    let running = true;
    const turn = () => {
      turns++;
      if (running) setImmediate(turn);
    };
    setImmediate(turn);
    const moved = await owner.clock.advance({ to: limit.toISOString() });
    running = false;
    expect(moved).toEqual({ now: limit.toISOString(), closed: 24, skipped: 0, failed: 0 });
    expect(turns).toBeGreaterThanOrEqual(24);

    const rows = await h.database.db.select().from(invoices).where(eq(invoices.accountId, t.accountId)).orderBy(asc(invoices.period));
    expect(rows).toHaveLength(24);
    expect(rows[0]).toMatchObject({ period: "2026-01", finalizedAt: at("2026-02-01T00:15:00Z") });
    expect(rows[23]).toMatchObject({ period: "2027-12", finalizedAt: at("2028-01-01T00:15:00Z") });
    const audit = await h.database.db.select().from(auditLog).where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "clock.advance")));
    expect(audit.map((a) => [a.before, a.after])).toEqual([[{ now: testNow.toISOString() }, { now: limit.toISOString() }]]);
  });

  it("a move while another runs is refused with CONFLICT; after it, moves work again", async () => {
    const t = await tenant();
    const admin = callerAs(h, t.admins.admin);
    const results = await Promise.allSettled([admin.clock.advance({ to: "2027-01-08T12:00:00Z" }), admin.clock.advance({ to: "2027-02-08T12:00:00Z" })]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((r) => r.status === "rejected")!;
    expect((refused.reason as { code: string }).code).toBe("CONFLICT");
    expect(await admin.clock.advance({ nextMonth: true })).toMatchObject({ failed: 0 });
  });

  it("is refused outside demo and test mode", async () => {
    const t = await makeTenant(h, { users: 0 });
    const production = createCaller({ ...h.deps, clock: { now: () => new Date() } }, t.admins.owner);
    expect((await rejection(production.clock.advance({ nextMonth: true }))).code).toBe("PRECONDITION_FAILED");
  });
});
