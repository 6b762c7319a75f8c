import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>;

/** What the billing procedures answer, as they arrive (dates as ISO strings). */
export type Estimate = Awaited<ReturnType<Api["billing"]["estimate"]["query"]>>;
export type InvoiceWithLines = Awaited<ReturnType<Api["billing"]["invoice"]["query"]>>;
export type InvoiceList = Awaited<ReturnType<Api["billing"]["invoices"]["query"]>>;
export type InvoiceSummary = InvoiceList["invoices"][number];
/** A bill line of either: the running estimate's and a finalized invoice's have the same figures. */
export type BillLineView = Estimate["lines"][number] | InvoiceWithLines["lines"][number];
