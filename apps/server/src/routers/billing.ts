import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { periodOf } from "@seatdesk/domain";
import { estimatePeriod, inSnapshot, listInvoices, loadInvoice } from "../services/billing";
import { decodeCursor, encodeCursor } from "../services/cursor";
import { toWire } from "../wire";
import { profileProcedure, profileReadProcedure, router } from "../trpc/init";

/** At most this many bill lines in one answer; `lineCount` and `nextCursor` tell the rest. */
export const maxLinesPerPage = 1000;

const periodId = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM");

const linesPage = {
  cursor: z.string().max(2000).nullish(),
  limit: z.number().int().min(1).max(maxLinesPerPage).default(maxLinesPerPage),
};

function linesCursor(cursor: string | null | undefined): [string, string] | null {
  if (!cursor) return null;
  const after = decodeCursor(cursor);
  if (!after) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
  return after;
}

const wireCursor = (c: [string, string] | null) => (c ? encodeCursor(c[0], c[1]) : null);

export const billingRouter = router({
  /**
   * The running estimate of the current period (DESIGN.md §4 "billing"): per charged user the fee and the
   * overage the domain computes from the month's ledger, the totals, and the overage against the budget.
   */
  estimate: profileReadProcedure.input(z.object(linesPage)).query(async ({ ctx, input }) => {
    const after = linesCursor(input.cursor);
    const now = ctx.clock.now();
    const estimate = await inSnapshot(ctx.readDb, (tx) =>
      estimatePeriod(tx, ctx.catalog, ctx.profile, periodOf(now), now, { after, limit: input.limit }),
    );
    return toWire({ ...estimate, nextCursor: wireCursor(estimate.nextCursor) });
  }),

  /** Finalized invoices, newest period first; `cursor` is the last period of the previous page. */
  invoices: profileReadProcedure
    .input(z.object({ cursor: periodId.nullish(), limit: z.number().int().min(1).max(100).default(24) }))
    .query(async ({ ctx, input }) => {
      const page = await listInvoices(ctx.readDb, ctx.profile, { before: input.cursor ?? null, limit: input.limit });
      return toWire(page);
    }),

  /** One finalized invoice with its lines (in name order, paged like the estimate's). */
  invoice: profileReadProcedure.input(z.object({ period: periodId, ...linesPage })).query(async ({ ctx, input }) => {
    const after = linesCursor(input.cursor);
    const invoice = await inSnapshot(ctx.readDb, (tx) => loadInvoice(tx, ctx.profile, input.period, { after, limit: input.limit }));
    if (!invoice) throw new TRPCError({ code: "NOT_FOUND", message: `period: no invoice for ${input.period} in this profile` });
    return toWire({ ...invoice, nextCursor: wireCursor(invoice.nextCursor) });
  }),
});
